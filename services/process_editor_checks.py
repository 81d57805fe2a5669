"""Check a draft before it is deployed: the engine's validation report, SpiffArena-only features,
bpmnlint's recommended rules (advice, shown as warnings), the scenario tests, and whether a supervisor
has let failing scenarios through for exactly these files.

Runs the same compile and scenario code deploy() runs, so "checked" here means "deploy would take it".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import LintIssue, SourceFile
from integrations.bpmnlint import BpmnlintUnavailable, run_bpmnlint
from processes.lanes import known_lanes
from services.context import Actor, Services
from services.deploy import approve_scenario_override, deployment_sha256
from services.errors import Conflict, Forbidden
from services.process_editor import READ_ROLES, DraftView, open_draft
from services.scenarios import SCENARIO_SUFFIX, run_all
from services.spiffarena_import import too_deep, unsupported_features
from services.uow import UnitOfWork
from store.models import AuditEvent

# bpmnlint's recommended rules, in the words of the person who draws the model.
BPMNLINT_ADVICE = {
    "label-required": "Give the element a name, so that people know what it is.",
    "no-disconnected": "The element is not connected to the flow, so it never runs.",
    "no-implicit-split": "Use a gateway to split the flow instead of several outgoing flows.",
    "no-implicit-end": "End the flow with an end event.",
    "no-implicit-start": "Start the flow with a start event.",
    "start-event-required": "The process needs a start event.",
    "end-event-required": "The process needs an end event.",
    "fake-join": "Join the incoming flows with a gateway.",
    "no-gateway-join-fork": "A gateway should either join or split flows, not both.",
    "superfluous-gateway": "This gateway has one way in and one way out; it can be removed.",
    "conditional-flows": "Give every outgoing flow of this element a condition, or mark one as the default.",
    "no-bpmndi": "The element has no position in the diagram, so no editor can show it.",
    "no-overlapping-elements": "The element lies on top of another one.",
    "superfluous-label": "This label is not shown; remove it.",
}


@dataclass(frozen=True)
class OverrideApproval:
    approved_by: str
    approved_at: datetime
    reason: str


@dataclass(frozen=True)
class DraftCheck:
    """Everything known about a draft before deploying it."""

    ok: bool  # no errors: deploy would accept the files (scenarios aside)
    process_ids: list[str]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    override: OverrideApproval | None = None
    deployment_sha256: str = ""
    revision: int = 0

    @property
    def failed_scenarios(self) -> list[dict[str, Any]]:
        return [s for s in self.scenarios if not s["passed"]]

    @property
    def deployable(self) -> bool:
        return self.ok and (not self.failed_scenarios or self.override is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "deployable": self.deployable,
            "process_ids": self.process_ids,
            "errors": self.errors,
            "warnings": self.warnings,
            "scenarios": self.scenarios,
            "override": None
            if self.override is None
            else {
                "approved_by": self.override.approved_by,
                "approved_at": self.override.approved_at.isoformat(),
                "reason": self.override.reason,
            },
            "deployment_sha256": self.deployment_sha256,
            "revision": self.revision,
        }


def bpmnlint_warnings(svc: Services, files: list[SourceFile]) -> list[dict[str, Any]]:
    """bpmnlint's findings for the BPMN files, as report warnings (rule "bpmnlint/<rule>")."""
    bpmn = [(f.name, f.content.decode("utf-8", "replace")) for f in files if f.name.lower().endswith(".bpmn")]
    if not bpmn:
        return []
    node_modules = svc.settings.project_root / "node_modules"
    try:
        findings = run_bpmnlint(bpmn, node_modules=node_modules)
    except BpmnlintUnavailable as exc:
        message = f"bpmnlint's recommended rules were not checked: {exc}."
        return [LintIssue("", None, "bpmnlint/unavailable", message, "warning").as_dict()]
    warnings = []
    for f in findings:
        advice = BPMNLINT_ADVICE.get(f.rule)
        message = f"{f.message}." if not f.message.endswith(".") else f.message
        issue = LintIssue(f.file, f.element_id, f"bpmnlint/{f.rule}", f"{message} {advice or ''}".strip(), "warning")
        warnings.append(issue.as_dict())
    return warnings


def find_override(svc: Services, sha: str) -> OverrideApproval | None:
    """The supervisor's approval of failing scenarios for exactly the files with this hash, if any."""
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "scenario_override_approved").order_by(AuditEvent.id.desc())
        ).all()
        row = next((r for r in rows if (r.details or {}).get("deployment_sha256") == sha), None)
        if row is None:
            return None
        return OverrideApproval(row.actor, row.at, str((row.details or {}).get("reason", "")))


def check_files(
    svc: Services, files: list[SourceFile], *, imported: bool = False, scenarios: bool = True, lint: bool = True
) -> DraftCheck:
    """Validate files as deploy() would, add bpmnlint's advice, and run the scenario tests."""
    unreadable = too_deep(files)
    if unreadable:
        return DraftCheck(False, [], [i.as_dict() for i in unreadable], [], [], None, deployment_sha256(files))
    compiled = svc.engine.compile(files, known_lanes(), strict_lanes=not imported)
    report = compiled.report.as_dict()
    connectors = [i.as_dict() for i in unsupported_features(files, svc.handlers)]
    errors = [*report["errors"], *connectors]
    warnings = [*report["warnings"], *(bpmnlint_warnings(svc, files) if lint else [])]
    results: list[dict[str, Any]] = []
    if scenarios and compiled.processes:
        scenario_files = {f.name: f.content for f in files if f.name.endswith(SCENARIO_SUFFIX)}
        results = [r.as_dict() for r in run_all(svc.engine, compiled.processes, scenario_files)]
    sha = deployment_sha256(files)
    override = find_override(svc, sha) if any(not r["passed"] for r in results) else None
    return DraftCheck(not errors, report["process_ids"], errors, warnings, results, override, sha)


def check_draft(svc: Services, actor: Actor, process_id: str, *, scenarios: bool = True) -> DraftCheck:
    """The check of the process's current draft (process owners and supervisors)."""
    if not actor.has(*READ_ROLES):
        raise Forbidden("only process owners and supervisors check drafts")
    draft = open_draft(svc, actor, process_id)
    result = check_files(svc, draft.source_files(), imported=draft.imported, scenarios=scenarios)
    return _with_revision(result, draft)


def _with_revision(check: DraftCheck, draft: DraftView) -> DraftCheck:
    return DraftCheck(
        check.ok,
        check.process_ids,
        check.errors,
        check.warnings,
        check.scenarios,
        check.override,
        check.deployment_sha256,
        draft.revision,
    )


def approve_draft_override(svc: Services, actor: Actor, process_id: str, *, revision: int, reason: str) -> str:
    """A supervisor lets this draft deploy although its scenarios fail (bound to its exact files)."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may override failing scenario tests")
    draft = open_draft(svc, actor, process_id)
    if draft.revision != revision:
        raise Conflict("the draft changed since you looked at it; check it again")
    return approve_scenario_override(svc, actor, draft.source_files(), reason)
