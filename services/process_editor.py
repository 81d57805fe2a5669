"""Working drafts: a process owner edits a copy of a process's files in the browser, then deploys it.

A process has at most one draft. Until someone saves, "the draft" is simply the latest version's
files (not stored). Every save raises the draft's `revision`; a save, delete or deploy that names an
older revision is refused (Conflict), so two people editing at once never overwrite each other.
Deploying the draft makes a new immutable version (services.deploy) and removes the draft.
Each function here is one use case and one transaction; only process owners change drafts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import SourceFile, safe_xml
from processes.lanes import known_lanes
from services.context import Actor, Services
from services.deploy import DeployResult, deploy, latest_version
from services.errors import Conflict, DeploymentRejected, Forbidden, InvalidInput, NotFound
from services.process_editor_blank import blank_bpmn
from services.projection import audit
from services.scenarios import SCENARIO_SUFFIX
from services.spiffarena_import import too_deep, unsupported_features
from services.uow import UnitOfWork
from store.models import ProcessDraft, ProcessDraftFile, ProcessVersion

EDIT_ROLES = ("process_owner",)
READ_ROLES = ("process_owner", "supervisor")  # supervisors read drafts to approve scenario overrides
PROCESS_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,199}")
NEW_PROCESS_ID = re.compile(r"[a-z][a-z0-9_]{1,99}")  # our own processes: snake_case, file name = id
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}\.(?:bpmn|dmn|json)")
MAX_FILE_CHARS = 5 * 1024 * 1024
MAX_FILES = 200


@dataclass(frozen=True)
class DraftFile:
    name: str
    content: str

    @property
    def kind(self) -> str:
        """bpmn | dmn | scenarios | uischema | schema | json"""
        lower = self.name.lower()
        if lower.endswith(".bpmn"):
            return "bpmn"
        if lower.endswith(".dmn"):
            return "dmn"
        if lower.endswith(SCENARIO_SUFFIX):
            return "scenarios"
        if lower.endswith("uischema.json"):
            return "uischema"
        if lower.endswith("schema.json"):
            return "schema"
        return "json"


@dataclass(frozen=True)
class DraftView:
    process_id: str
    saved: bool  # False: nobody changed anything yet; these are the latest version's files
    revision: int  # 0 while not saved
    base_version: int | None  # the version number the draft started from
    imported: bool
    files: tuple[DraftFile, ...]
    updated_by: str | None = None
    updated_at: datetime | None = None

    def file(self, name: str) -> DraftFile | None:
        return next((f for f in self.files if f.name == name), None)

    def of_kind(self, *kinds: str) -> list[DraftFile]:
        return [f for f in self.files if f.kind in kinds]

    @property
    def main_bpmn(self) -> str | None:
        """The file named after the process, else the first BPMN file."""
        names = [f.name for f in self.of_kind("bpmn")]
        return f"{self.process_id}.bpmn" if f"{self.process_id}.bpmn" in names else (names[0] if names else None)

    @property
    def scenario_file(self) -> str:
        return f"{self.process_id}{SCENARIO_SUFFIX}"

    def source_files(self) -> list[SourceFile]:
        return [SourceFile(f.name, f.content.encode("utf-8")) for f in self.files]


def _require(actor: Actor, roles: tuple[str, ...]) -> None:
    if not actor.has(*roles):
        raise Forbidden("only a process owner may edit processes" if roles == EDIT_ROLES else "not allowed")


def _check_process_id(process_id: str) -> None:
    if not PROCESS_ID.fullmatch(process_id):
        raise NotFound(f"no process {process_id[:100]!r}")


def as_text(name: str, content: bytes) -> str:
    """A stored file as editable text (UTF-8; XML in another encoding is re-encoded)."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        if name.lower().endswith((".bpmn", ".dmn")):
            try:
                text: str = etree.tostring(safe_xml(content), encoding="unicode")
                return text
            except etree.XMLSyntaxError:
                pass
        return content.decode("latin-1")


def _draft_row(uow: UnitOfWork, process_id: str, *, lock: bool = False) -> ProcessDraft | None:
    """The stored draft; `lock` for a change (a row lock on PostgreSQL; SQLite writers are serialised)."""
    query = select(ProcessDraft).where(ProcessDraft.process_id == process_id)
    return uow.session.scalars(query.with_for_update() if lock else query).first()


def _add_draft(uow: UnitOfWork, row: ProcessDraft) -> None:
    """Insert a new draft; two people starting one at the same moment: the second gets a Conflict."""
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError as exc:
        uow.session.rollback()
        raise Conflict(f"someone started a draft of {row.process_id} at the same time; reload it") from exc


def _view(row: ProcessDraft, base_version: int | None) -> DraftView:
    return DraftView(
        row.process_id,
        True,
        row.revision,
        base_version,
        row.imported,
        tuple(DraftFile(f.name, f.content) for f in row.files),
        row.updated_by,
        row.updated_at,
    )


def _version_view(process_id: str, version: ProcessVersion) -> DraftView:
    files = tuple(DraftFile(f.name, as_text(f.name, f.content)) for f in version.files)
    return DraftView(process_id, False, 0, version.version, version.imported, files)


def _load(uow: UnitOfWork, process_id: str) -> DraftView:
    row = _draft_row(uow, process_id)
    if row is not None:
        base = uow.session.get(ProcessVersion, row.base_version_id) if row.base_version_id else None
        return _view(row, base.version if base else None)
    latest = latest_version(uow, process_id)
    if latest is None:
        raise NotFound(f"process {process_id} has neither a version nor a draft")
    return _version_view(process_id, latest)


def open_draft(svc: Services, actor: Actor, process_id: str) -> DraftView:
    """The process's draft, or the latest version's files when nobody has started one."""
    _require(actor, READ_ROLES)
    _check_process_id(process_id)
    with UnitOfWork(svc.sessions) as uow:
        return _load(uow, process_id)


def list_drafts(svc: Services, actor: Actor) -> list[DraftView]:
    _require(actor, READ_ROLES)
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(select(ProcessDraft).order_by(ProcessDraft.process_id)).all()
        return [
            DraftView(r.process_id, True, r.revision, None, r.imported, (), r.updated_by, r.updated_at) for r in rows
        ]


def _editable(uow: UnitOfWork, svc: Services, actor: Actor, process_id: str, revision: int) -> ProcessDraft:
    """The stored draft, created from the latest version on the first save; refuses stale revisions."""
    row = _draft_row(uow, process_id, lock=True)
    if row is not None:
        if revision != row.revision:
            raise Conflict(
                f"the draft of {process_id} was saved by {row.updated_by} meanwhile (revision {row.revision}); "
                "reload it and make your change again"
            )
        return row
    if revision != 0:
        raise Conflict(f"the draft of {process_id} was deployed or discarded meanwhile; reload it")
    latest = latest_version(uow, process_id)
    if latest is None:
        raise NotFound(f"process {process_id} has neither a version nor a draft")
    now = svc.now()
    row = ProcessDraft(
        process_id=process_id,
        base_version_id=latest.id,
        revision=0,
        imported=latest.imported,
        created_by=actor.username,
        created_at=now,
        updated_by=actor.username,
        updated_at=now,
        files=[ProcessDraftFile(name=f.name, content=as_text(f.name, f.content)) for f in latest.files],
    )
    _add_draft(uow, row)
    return row


def _touch(row: ProcessDraft, svc: Services, actor: Actor) -> None:
    row.revision += 1
    row.updated_by, row.updated_at = actor.username, svc.now()


def check_file(name: str, content: str) -> None:
    """Refuse file names that are not plain BPMN/DMN/JSON names, and oversized content."""
    if not FILE_NAME.fullmatch(name):
        raise InvalidInput(
            "bad file name", {"name": "Use letters, digits, _ . - and end with .bpmn, .dmn or .json (no folders)."}
        )
    if len(content) > MAX_FILE_CHARS:
        raise InvalidInput("file too large", {"content": f"{name} is larger than {MAX_FILE_CHARS // 1024} KB."})


def save_file(svc: Services, actor: Actor, process_id: str, name: str, content: str, *, revision: int) -> DraftView:
    """Create or replace one file of the draft."""
    return save_files(svc, actor, process_id, [(name, content)], revision=revision)


def save_files(
    svc: Services, actor: Actor, process_id: str, files: list[tuple[str, str]], *, revision: int
) -> DraftView:
    """Create or replace files of the draft together (a form and its UI schema), as one revision."""
    _require(actor, EDIT_ROLES)
    _check_process_id(process_id)
    for name, content in files:
        check_file(name, content)
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _editable(uow, svc, actor, process_id, revision)
        for name, content in files:
            existing = next((f for f in row.files if f.name == name), None)
            if existing is not None:
                existing.content = content
            elif len(row.files) >= MAX_FILES:
                raise InvalidInput("too many files", {"name": f"A draft holds at most {MAX_FILES} files."})
            else:
                row.files.append(ProcessDraftFile(name=name, content=content))
        _touch(row, svc, actor)
        uow.session.flush()
        view = _load(uow, process_id)
        uow.commit()
        return view


def delete_file(svc: Services, actor: Actor, process_id: str, name: str, *, revision: int) -> DraftView:
    _require(actor, EDIT_ROLES)
    _check_process_id(process_id)
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _editable(uow, svc, actor, process_id, revision)
        existing = next((f for f in row.files if f.name == name), None)
        if existing is None:
            raise NotFound(f"the draft has no file {name[:300]}")
        row.files.remove(existing)
        _touch(row, svc, actor)
        uow.session.flush()
        view = _load(uow, process_id)
        uow.commit()
        return view


def discard_draft(svc: Services, actor: Actor, process_id: str) -> None:
    """Throw the draft away; the latest version stays as it is."""
    _require(actor, EDIT_ROLES)
    _check_process_id(process_id)
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _draft_row(uow, process_id, lock=True)
        if row is None:
            return
        uow.session.delete(row)
        audit(
            uow.session,
            actor=actor.username,
            action="draft_discarded",
            now=svc.now(),
            details={"process_id": process_id},
        )
        uow.commit()


def start_from_version(svc: Services, actor: Actor, process_id: str, version: int) -> DraftView:
    """Replace the draft (if any) with the files of an older or current version."""
    _require(actor, EDIT_ROLES)
    _check_process_id(process_id)
    with UnitOfWork(svc.sessions, write=True) as uow:
        source = uow.session.scalars(
            select(ProcessVersion).where(ProcessVersion.process_id == process_id, ProcessVersion.version == version)
        ).first()
        if source is None:
            raise NotFound(f"{process_id} has no version {version}")
        row = _draft_row(uow, process_id, lock=True)
        now = svc.now()
        if row is None:
            row = ProcessDraft(
                process_id=process_id,
                revision=0,
                created_by=actor.username,
                created_at=now,
                updated_by=actor.username,
                updated_at=now,
            )
            _add_draft(uow, row)
        row.base_version_id, row.imported = source.id, source.imported
        row.files = [ProcessDraftFile(name=f.name, content=as_text(f.name, f.content)) for f in source.files]
        _touch(row, svc, actor)
        uow.session.flush()
        view = _load(uow, process_id)
        uow.commit()
        return view


def put_files(
    svc: Services, actor: Actor, process_id: str, files: list[tuple[str, str]], *, imported: bool = False
) -> DraftView:
    """Make a draft of exactly these files (a new process, or an import to finish in the editor)."""
    _require(actor, EDIT_ROLES)
    if not PROCESS_ID.fullmatch(process_id):
        raise InvalidInput("bad process id", {"process_id": "Letters, digits and _ . - only."})
    if len(files) > MAX_FILES:
        raise InvalidInput("too many files", {"files": f"A draft holds at most {MAX_FILES} files."})
    for name, content in files:
        check_file(name, content)
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _draft_row(uow, process_id, lock=True)
        if row is not None:
            raise Conflict(f"{process_id} already has a draft; deploy or discard it first")
        latest = latest_version(uow, process_id)
        now = svc.now()
        row = ProcessDraft(
            process_id=process_id,
            base_version_id=latest.id if latest else None,
            revision=0,
            imported=imported,
            created_by=actor.username,
            created_at=now,
            files=[ProcessDraftFile(name=n, content=c) for n, c in dict(files).items()],
        )
        _touch(row, svc, actor)
        _add_draft(uow, row)
        view = _load(uow, process_id)
        uow.commit()
        return view


def new_process(svc: Services, actor: Actor, process_id: str, name: str) -> DraftView:
    """A draft for a process that does not exist yet: one BPMN file with the standard lanes."""
    _require(actor, EDIT_ROLES)
    if not NEW_PROCESS_ID.fullmatch(process_id):
        raise InvalidInput(
            "bad process id", {"process_id": "Use lower-case letters, digits and _ (snake_case), e.g. follow_up."}
        )
    with UnitOfWork(svc.sessions) as uow:
        if latest_version(uow, process_id) is not None:
            raise Conflict(f"the process {process_id} exists already; open its draft instead")
    return put_files(
        svc, actor, process_id, [(f"{process_id}.bpmn", blank_bpmn(process_id, name.strip() or process_id))]
    )


def deploy_draft(svc: Services, actor: Actor, process_id: str, *, note: str, revision: int) -> DeployResult:
    """Deploy exactly the draft the person looked at (`revision`); the draft is removed afterwards."""
    _require(actor, EDIT_ROLES)
    _check_process_id(process_id)
    if len(note.strip()) < 3:
        raise InvalidInput("a change note is required", {"note": "Say in a few words what changed and why."})
    with UnitOfWork(svc.sessions) as uow:
        draft = _load(uow, process_id)
    if draft.revision != revision:
        raise Conflict("the draft changed since you checked it; check it again before deploying")
    files = draft.source_files()
    connectors = too_deep(files) + unsupported_features(files, svc.handlers)
    if connectors:
        report = {
            "ok": False,
            "process_ids": [],
            "errors": [i.as_dict() for i in connectors],
            "warnings": [],
        }
        raise DeploymentRejected(report, message="the model uses services Auttamo does not have")
    result = deploy(svc, actor, files, change_note=note.strip(), imported=draft.imported)
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _draft_row(uow, process_id, lock=True)
        if row is not None and row.revision == revision:
            uow.session.delete(row)
            uow.commit()
    return result


def lane_names() -> list[str]:
    """The lanes the role map knows: what a task's lane must be called."""
    return sorted(known_lanes())
