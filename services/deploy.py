"""Deploy process versions: validate, then store each changed process as a new immutable version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.metadata import version as package_version

from sqlalchemy import func, select

from engine import CompiledProcess, SourceFile, ValidationReport
from processes.lanes import known_lanes
from services.context import Actor, Services
from services.errors import DeploymentRejected, Forbidden, InvalidInput
from services.projection import audit
from services.scenarios import SCENARIO_SUFFIX, ScenarioResult, run_all
from services.uow import UnitOfWork
from store.models import AuditEvent, ProcessVersion, ProcessVersionFile

DEPLOY_ROLES = ("process_owner",)  # issue 5: only process owners edit, deploy or migrate


@dataclass(frozen=True)
class DeployedVersion:
    id: int
    process_id: str
    version: int
    sha256: str
    created: bool  # False when identical sources were already the latest version


@dataclass(frozen=True)
class DeployResult:
    report: ValidationReport
    versions: tuple[DeployedVersion, ...]
    dry_run: bool
    scenarios: tuple[ScenarioResult, ...] = ()
    overridden_by: str | None = None  # the supervisor who let failing scenarios through


def deployment_sha256(files: list[SourceFile]) -> str:
    """One hash over every uploaded file: what a scenario override approves, exactly."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        digest.update(f.name.encode() + b"\0" + hashlib.sha256(f.content).digest())
    return digest.hexdigest()


def approve_scenario_override(svc: Services, actor: Actor, files: list[SourceFile], reason: str) -> str:
    """A supervisor lets these exact files deploy although their scenarios fail; logged with the reason."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may override failing scenario tests")
    if len(reason.strip()) < 10:
        raise InvalidInput("a reason is required", {"reason": "Say why the failing scenarios may be ignored."})
    sha = deployment_sha256(files)
    with UnitOfWork(svc.sessions, write=True) as uow:
        audit(
            uow.session,
            actor=actor.username,
            action="scenario_override_approved",
            now=svc.now(),
            details={"deployment_sha256": sha, "reason": reason.strip()},
        )
        uow.commit()
    return sha


def _override_for(uow: UnitOfWork, sha: str) -> str | None:
    rows = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "scenario_override_approved").order_by(AuditEvent.id.desc())
    ).all()
    return next((r.actor for r in rows if r.details.get("deployment_sha256") == sha), None)


def deploy(
    svc: Services,
    actor: Actor,
    files: list[SourceFile],
    *,
    change_note: str = "",
    dry_run: bool = False,
    imported: bool = False,
) -> DeployResult:
    """Validate `files`; unless `dry_run`, store a new version of every process whose sources changed.

    Raises DeploymentRejected (with the report) when anything is wrong; nothing is stored then.
    """
    if not actor.has(*DEPLOY_ROLES) and actor.username != "system":
        raise Forbidden("only a process owner may deploy processes")
    compiled = svc.engine.compile(files, known_lanes(), strict_lanes=not imported)
    if not compiled.report.ok:
        raise DeploymentRejected(compiled.report.as_dict())
    scenario_files = {f.name: f.content for f in files if f.name.endswith(SCENARIO_SUFFIX)}
    scenarios = tuple(run_all(svc.engine, compiled.processes, scenario_files))
    failed = [r for r in scenarios if not r.passed]
    if dry_run:
        return DeployResult(compiled.report, (), True, scenarios)
    results: list[DeployedVersion] = []
    with UnitOfWork(svc.sessions, write=True) as uow:
        overridden_by = _override_for(uow, deployment_sha256(files)) if failed else None
        if failed and overridden_by is None:
            raise DeploymentRejected(
                {**compiled.report.as_dict(), "ok": False, "scenarios": [r.as_dict() for r in scenarios]},
                message=f"{len(failed)} scenario test(s) failed; nothing was deployed",
            )
        for proc in compiled.processes:
            results.append(_store_version(uow, svc, actor, proc, change_note, imported))
        if overridden_by is not None:
            audit(
                uow.session,
                actor=actor.username,
                action="scenario_override_used",
                now=svc.now(),
                details={"approved_by": overridden_by, "failed": [r.name for r in failed]},
            )
        uow.commit()
    return DeployResult(compiled.report, tuple(results), False, scenarios, overridden_by)


def _store_version(
    uow: UnitOfWork, svc: Services, actor: Actor, proc: CompiledProcess, note: str, imported: bool
) -> DeployedVersion:
    session = uow.session
    latest = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == proc.process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.sha256 == proc.sha256:
        return DeployedVersion(latest.id, latest.process_id, latest.version, latest.sha256, False)
    number = (
        session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == proc.process_id))
        or 0
    ) + 1
    now = svc.now()
    row = ProcessVersion(
        process_id=proc.process_id,
        version=number,
        name=proc.name[:300],
        sha256=proc.sha256,
        spec_json=proc.spec_json,
        forms=proc.forms,
        serializer_version=svc.engine.serializer.version,
        engine_version=package_version("SpiffWorkflow"),
        deployed_by=actor.username,
        deployed_at=now,
        change_note=note,
        imported=imported,
        files=[
            ProcessVersionFile(name=f.name, content=f.content, sha256=hashlib.sha256(f.content).hexdigest())
            for f in proc.sources
        ],
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor.username,
        action="version_deployed",
        now=now,
        details={"process_id": proc.process_id, "version": number, "sha256": proc.sha256, "note": note},
    )
    return DeployedVersion(row.id, row.process_id, row.version, row.sha256, True)


def latest_version_id(uow: UnitOfWork, process_id: str) -> int | None:
    """Only the id: starting an instance then takes the version from services.versions (no row load)."""
    return uow.session.scalars(
        select(ProcessVersion.id)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()


def latest_version(uow: UnitOfWork, process_id: str) -> ProcessVersion | None:
    return uow.session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
