"""Import process models made in SpiffArena: a process-model folder uploaded as files or as one .zip.

A SpiffArena folder holds `process_model.json` (we read its display_name and drop it), `.bpmn` and
`.dmn` files, and forms as `<name>-schema.json` / `<name>-uischema.json`. Such a model runs here
unchanged unless it relies on what only SpiffArena provides: its connectors (service tasks with a
`serviceTaskOperator` such as "http/GetRequestV2") or its script functions (`get_current_user()` ...).
Those are reported by element id with the rule `connector-unsupported`, before anything is stored.

Uploads are untrusted: a .zip is read in memory with limits on its size, the number of entries and
each entry's real (not declared) size; nothing is ever written to disk, and an entry whose name tries
to leave the folder is refused. Every problem becomes a report issue, never an exception.
"""

from __future__ import annotations

import ast
import io
import json
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import LintIssue, SourceFile, safe_xml
from processes.script_helpers import SCRIPT_HELPERS
from services.context import Actor, Services
from services.deploy import DEPLOY_ROLES, DeployResult, deploy
from services.errors import DeploymentRejected, Forbidden

MAX_FILE_BYTES = 5 * 1024 * 1024  # as the engine's compiler: the largest real model is ~300 KB
MAX_ARCHIVE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 40 * 1024 * 1024  # all files together, after unpacking
MAX_ENTRIES = 200
KEPT = (".bpmn", ".dmn", ".json")
PROCESS_MODEL_JSON = "process_model.json"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# Script functions SpiffArena's backend offers (spiffworkflow_backend/scripts); none exists here.
SPIFFARENA_FUNCTIONS = frozenset(
    {
        "add_permission",
        "add_user_to_group",
        "clear_permissions",
        "create_unique_kkv_top_level_key",
        "delete_process_instances_with_criteria",
        "extract_from_task_data",
        "fact_service",
        "generate_markdown_table",
        "get_all_permissions",
        "get_current_task_data",
        "get_current_task_info",
        "get_current_user",
        "get_data_sizes",
        "get_dmn",
        "get_encoded_file_data",
        "get_env",
        "get_frontend_url",
        "get_group_members",
        "get_groups_assigned_to_task",
        "get_groups_for_user",
        "get_last_user_completing_task",
        "get_localtime",
        "get_process_info",
        "get_process_initiator_user",
        "get_secret",
        "get_task_data_value",
        "get_task_potential_owners",
        "get_toplevel_process_info",
        "get_url_for_task",
        "get_url_for_task_with_bpmn_identifier",
        "get_user",
        "get_user_by_id",
        "get_user_properties",
        "get_usernames_waiting_for_task",
        "get_users_assigned_to_task",
        "markdown_file_download_link",
        "refresh_permissions",
        "save_process_instance_metadata",
        "set_feature_flags",
        "set_secret",
        "set_user_properties",
        "times_executed_by_user",
        "update_task_data_with_dictionary",
        "user_has_started_instance",
    }
)
# Elements whose text is a Python expression or script the engine evaluates.
_PYTHON_TEXT = {
    f"{{{BPMN_NS}}}script",
    f"{{{BPMN_NS}}}conditionExpression",
    f"{{{BPMN_NS}}}timeDuration",
    f"{{{BPMN_NS}}}timeDate",
    f"{{{BPMN_NS}}}timeCycle",
    f"{{{BPMN_NS}}}completionCondition",
    f"{{{BPMN_NS}}}loopCondition",
    f"{{{SPIFF_NS}}}preScript",
    f"{{{SPIFF_NS}}}postScript",
    f"{{{SPIFF_NS}}}messagePayload",
}


@dataclass
class ImportBundle:
    """What an upload holds, once read: the deployable files, the model's name, and what was wrong."""

    files: list[SourceFile] = field(default_factory=list)
    display_name: str | None = None
    primary_process_id: str | None = None
    issues: list[LintIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)


def _issue(file: str, rule: str, message: str, severity: str = "error", element_id: str | None = None) -> LintIssue:
    return LintIssue(file, element_id, rule, message, "warning" if severity == "warning" else "error")


def too_deep(files: list[SourceFile]) -> list[LintIssue]:
    """JSON files nested so deeply that parsing them would exhaust the stack: refused before parsing."""
    found = []
    for f in files:
        if f.name.lower().endswith(".json"):
            try:
                json.loads(f.content)
            except RecursionError:
                found.append(
                    _issue(f.name, "json-too-deep", f"{f.name} is nested too deeply to be a form or test file.")
                )
            except (ValueError, UnicodeDecodeError):
                pass  # reported by the engine as json-malformed
    return found


def read_upload(uploads: list[tuple[str, bytes]]) -> ImportBundle:
    """Files as uploaded (several files, or one .zip of a process-model folder) -> an ImportBundle."""
    bundle = ImportBundle()
    if len(uploads) > MAX_ENTRIES:
        bundle.issues.append(_issue("", "too-many-files", f"{len(uploads)} files; at most {MAX_ENTRIES} at once."))
        return bundle
    for name, content in uploads:
        base = _base_name(name)
        if base.lower().endswith(".zip"):
            _read_zip(base, content, bundle)
        else:
            _add(bundle, base, content)
    bundle.issues.extend(too_deep(bundle.files))
    if not bundle.issues and not any(f.name.lower().endswith(".bpmn") for f in bundle.files):
        bundle.issues.append(_issue("", "no-bpmn", "The upload holds no .bpmn file."))
    return bundle


def _base_name(name: str) -> str:
    return (name or "unnamed").replace("\\", "/").rsplit("/", 1)[-1][:300] or "unnamed"


def _too_large(name: str, size: int) -> LintIssue:
    return _issue(
        name,
        "file-too-large",
        f"{name} is {size / (1024 * 1024):.1f} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB per file. "
        "A process model is normally well under 1 MB: check that this is the right file.",
    )


def _add(bundle: ImportBundle, name: str, content: bytes) -> None:
    lower = name.lower()
    if len(content) > MAX_FILE_BYTES:
        bundle.issues.append(_too_large(name, len(content)))
        return
    if lower == PROCESS_MODEL_JSON:
        _read_process_model(bundle, content)
        return
    if not lower.endswith(KEPT):
        bundle.issues.append(
            _issue(name, "file-ignored", f"{name} was ignored: only .bpmn, .dmn and .json are used.", "warning")
        )
        return
    if any(f.name == name for f in bundle.files):
        bundle.issues.append(_issue(name, "file-duplicate", f"The file {name} was given twice."))
        return
    bundle.files.append(SourceFile(name, content))


def _read_process_model(bundle: ImportBundle, content: bytes) -> None:
    try:
        meta = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        bundle.issues.append(
            _issue(
                PROCESS_MODEL_JSON, "json-malformed", "process_model.json is not valid JSON; it was ignored.", "warning"
            )
        )
        return
    if isinstance(meta, dict):
        name, primary = meta.get("display_name"), meta.get("primary_process_id")
        bundle.display_name = str(name)[:200] if isinstance(name, str) and name.strip() else None
        bundle.primary_process_id = str(primary)[:200] if isinstance(primary, str) and primary.strip() else None


def _unsafe_entry(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _read_zip(archive: str, content: bytes, bundle: ImportBundle) -> None:
    if len(content) > MAX_ARCHIVE_BYTES:
        limit = MAX_ARCHIVE_BYTES // (1024 * 1024)
        bundle.issues.append(
            _issue(archive, "zip-too-large", f"{archive} is larger than {limit} MB; nothing was read.")
        )
        return
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            entries = [i for i in zf.infolist() if not i.is_dir()]
            if len(entries) > MAX_ENTRIES:
                bundle.issues.append(
                    _issue(
                        archive, "zip-too-many-entries", f"{archive} holds {len(entries)} files; at most {MAX_ENTRIES}."
                    )
                )
                return
            total = 0
            for info in entries:
                name = info.filename
                base = _base_name(name)
                if _unsafe_entry(name):
                    bundle.issues.append(
                        _issue(
                            archive,
                            "zip-entry-unsafe",
                            f"{archive}: the entry {name!r} points outside the folder; refused.",
                        )
                    )
                    continue
                if name.startswith("__MACOSX/") or base.startswith("."):
                    continue
                if info.flag_bits & 0x1:
                    bundle.issues.append(
                        _issue(archive, "zip-encrypted", f"{archive}: {base} is encrypted; upload it unencrypted.")
                    )
                    continue
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    bundle.issues.append(
                        _issue(archive, "zip-entry-unsafe", f"{archive}: {base} is a symbolic link; refused.")
                    )
                    continue
                with zf.open(info) as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)  # the real size, whatever the header claims
                if len(data) > MAX_FILE_BYTES:
                    bundle.issues.append(_too_large(base, max(info.file_size, len(data))))
                    continue
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    limit = MAX_TOTAL_BYTES // (1024 * 1024)
                    bundle.issues.append(
                        _issue(archive, "zip-too-large", f"{archive} unpacks to more than {limit} MB; refused.")
                    )
                    return
                _add(bundle, base, data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError) as exc:
        bundle.issues.append(_issue(archive, "zip-malformed", f"{archive} is not a readable .zip file ({exc})."))


def _owner_id(el: Any) -> str | None:
    """The id of the drawn element a script or operator belongs to (a task, an event, a flow)."""
    node = el
    while node is not None:
        if isinstance(node.tag, str) and etree.QName(node).namespace == BPMN_NS:
            local = etree.QName(node).localname
            if node.get("id") and not local.endswith(("EventDefinition", "Characteristics")) and local != "definitions":
                return str(node.get("id"))
        node = node.getparent()
    return None


def _called_functions(text: str) -> Iterator[str]:
    try:
        tree = ast.parse(text.strip() or "None", mode="exec")
    except (SyntaxError, ValueError):
        return  # the engine's own lint reports broken expressions
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node.func.id


def unsupported_features(
    files: list[SourceFile], handlers: Collection[str], helpers: Collection[str] | None = None
) -> list[LintIssue]:
    """Service-task connectors and script functions that only SpiffArena provides, by element."""
    ours = set(SCRIPT_HELPERS if helpers is None else helpers)
    issues: list[LintIssue] = []
    for f in files:
        if not f.name.lower().endswith(".bpmn") or len(f.content) > MAX_FILE_BYTES:
            continue
        try:
            root = safe_xml(f.content)
        except etree.XMLSyntaxError:
            continue  # reported by the engine as xml-malformed
        for op in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
            operator = (op.get("id") or "").strip()
            if operator not in handlers:
                known = ", ".join(sorted(handlers)) or "none"
                issues.append(
                    LintIssue(
                        f.name,
                        _owner_id(op),
                        "connector-unsupported",
                        f'Service task {_owner_id(op) or ""} uses the connector "{operator}", which Auttamo does not '
                        f"have (SpiffArena connectors do not run here). Services available: {known}. "
                        "Replace the call with one of those, a script task, or a user task.",
                        "error",
                        op.sourceline if isinstance(op.sourceline, int) else None,
                    )
                )
        for el in root.iter(*_PYTHON_TEXT):
            for name in sorted(set(_called_functions(el.text or ""))):
                if name in SPIFFARENA_FUNCTIONS and name not in ours:
                    issues.append(
                        LintIssue(
                            f.name,
                            _owner_id(el),
                            "connector-unsupported",
                            f"{_owner_id(el) or 'A script'} calls {name}(), a SpiffArena function that Auttamo does "
                            "not provide. Remove the call or compute the value in a script of your own.",
                            "error",
                            el.sourceline if isinstance(el.sourceline, int) else None,
                        )
                    )
    return issues


def _merged(report: dict[str, Any], extra: list[LintIssue]) -> dict[str, Any]:
    errors = [i.as_dict() for i in extra if i.severity == "error"]
    warnings = [i.as_dict() for i in extra if i.severity == "warning"]
    merged = {
        **report,
        "errors": [*errors, *report.get("errors", [])],
        "warnings": [*warnings, *report.get("warnings", [])],
    }
    merged["ok"] = bool(report.get("ok", True)) and not errors
    return merged


@dataclass(frozen=True)
class ImportResult:
    report: dict[str, Any]
    result: DeployResult
    display_name: str | None


def import_model(
    svc: Services, actor: Actor, uploads: list[tuple[str, bytes]], *, note: str = "", dry_run: bool = False
) -> ImportResult:
    """Validate (and unless `dry_run`, deploy) a SpiffArena process-model folder.

    Raises DeploymentRejected with the whole report (upload problems, unsupported connectors, the
    engine's findings) when anything is wrong; nothing is stored then.
    """
    if not actor.has(*DEPLOY_ROLES):
        raise Forbidden("only a process owner may import processes")
    bundle = read_upload(uploads)
    empty = {"ok": True, "process_ids": [], "errors": [], "warnings": []}
    if not bundle.ok:
        raise DeploymentRejected(_merged(empty, bundle.issues), message="the upload could not be read")
    extra = [*bundle.issues, *unsupported_features(bundle.files, svc.handlers)]
    label = bundle.display_name or "SpiffArena model"
    change_note = note.strip() or f"Imported from SpiffArena: {label}"
    blocked = any(i.severity == "error" for i in extra)
    try:  # with unsupported connectors, still a dry run: the report then names every problem at once
        result = deploy(svc, actor, bundle.files, change_note=change_note, dry_run=dry_run or blocked, imported=True)
    except DeploymentRejected as exc:
        raise DeploymentRejected(_merged(exc.report, extra), message=str(exc)) from exc
    report = _merged(result.report.as_dict(), extra)
    if blocked:
        raise DeploymentRejected(report, message="the model uses what only SpiffArena provides; nothing was deployed")
    return ImportResult(report, result, bundle.display_name)
