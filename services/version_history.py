"""The versions of a process for the people who own it: who deployed what and when, how many instances
still run on each, the raw files, a readable diff, and the instances a migration could move.

Process owners see diagrams and anonymous counts, never case data: instance rows here carry only
ids, versions, states and element ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from sqlalchemy import func, select

from engine import safe_xml
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput, NotFound
from services.migration import diff_versions
from services.uow import UnitOfWork
from store.models import InstanceMigration, ProcessInstance, ProcessVersion, ProcessVersionFile

READ_ROLES = ("process_owner", "supervisor")
LIVE_STATUSES = ("running", "waiting", "error", "suspended")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# SpiffWorkflow's names for what changed in an element, in plain words.
CHANGED_WORDS = {
    "bpmn_name": "name",
    "documentation": "documentation",
    "extensions": "form, scripts, instructions or other properties",
    "lane": "lane",
    "inputs": "incoming flows",
    "outputs": "outgoing flows",
    "script": "script",
    "prescript": "script before the task",
    "postscript": "script after the task",
    "cond_task_specs": "conditions of the outgoing flows",
    "default_task_spec": "default flow",
    "event_definition": "event (timer, message or signal)",
    "spec": "called process",
    "operation_name": "service operation",
}


@dataclass(frozen=True)
class VersionRow:
    id: int
    version: int
    name: str
    sha256: str
    deployed_by: str
    deployed_at: datetime
    change_note: str
    imported: bool
    running: int  # instances not finished
    files: tuple[str, ...]


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    name: str
    kind: str  # the BPMN element type, e.g. "userTask"
    what: tuple[str, ...] = ()  # for changed elements: what changed, in plain words


@dataclass(frozen=True)
class ProcessDiff:
    process_id: str
    added: tuple[ElementChange, ...] = ()
    removed: tuple[ElementChange, ...] = ()
    changed: tuple[ElementChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class VersionDiff:
    process_id: str
    from_version: int
    to_version: int
    processes: tuple[ProcessDiff, ...] = ()
    files_changed: tuple[str, ...] = ()  # files whose content differs (forms, DMN, scenarios too)


@dataclass(frozen=True)
class InstanceRow:
    id: int
    version: int
    version_id: int
    status: str
    started_at: datetime
    updated_at: datetime
    active_elements: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class MigrationRow:
    id: int
    instance_id: int
    from_version: int
    to_version: int
    forced: bool
    migrated_by: str
    migrated_at: datetime
    reverted_by: str | None
    reverted_at: datetime | None


def _require(actor: Actor) -> None:
    if not actor.has(*READ_ROLES):
        raise Forbidden("only process owners and supervisors see process versions")


def running_counts(svc: Services, actor: Actor) -> dict[str, int]:
    """Unfinished instances per process id (one query)."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(
            select(ProcessInstance.process_id, func.count(ProcessInstance.id))
            .where(ProcessInstance.status.in_(LIVE_STATUSES))
            .group_by(ProcessInstance.process_id)
        ).all()
        return {r[0]: int(r[1]) for r in rows}


def list_versions(svc: Services, actor: Actor, process_id: str) -> list[VersionRow]:
    """Every version of the process, newest first, with the number of unfinished instances on each."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        versions = uow.session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.process_id == process_id)
            .order_by(ProcessVersion.version.desc())
        ).all()
        if not versions:
            raise NotFound(f"no process {process_id[:200]}")
        counts = dict(
            uow.session.execute(
                select(ProcessInstance.version_id, func.count(ProcessInstance.id))
                .where(ProcessInstance.process_id == process_id, ProcessInstance.status.in_(LIVE_STATUSES))
                .group_by(ProcessInstance.version_id)
            ).all()
        )
        names: dict[int, list[str]] = {}
        for version_id, name in uow.session.execute(
            select(ProcessVersionFile.version_id, ProcessVersionFile.name)
            .where(ProcessVersionFile.version_id.in_([v.id for v in versions]))
            .order_by(ProcessVersionFile.name)
        ):
            names.setdefault(version_id, []).append(name)
        return [
            VersionRow(
                v.id,
                v.version,
                v.name,
                v.sha256,
                v.deployed_by,
                v.deployed_at,
                v.change_note,
                v.imported,
                int(counts.get(v.id, 0)),
                tuple(names.get(v.id, [])),
            )
            for v in versions
        ]


def _version(uow: UnitOfWork, process_id: str, version: int) -> ProcessVersion:
    row = uow.session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id, ProcessVersion.version == version)
    ).first()
    if row is None:
        raise NotFound(f"{process_id[:200]} has no version {version}")
    return row


def version_id_of(svc: Services, actor: Actor, process_id: str, version: int) -> int:
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        return _version(uow, process_id, version).id


def version_file(svc: Services, actor: Actor, process_id: str, version: int, name: str) -> bytes:
    """The file exactly as it was deployed."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        row = _version(uow, process_id, version)
        content = uow.session.scalar(
            select(ProcessVersionFile.content).where(
                ProcessVersionFile.version_id == row.id, ProcessVersionFile.name == name
            )
        )
        if content is None:
            raise NotFound(f"version {version} of {process_id} has no file {name[:300]}")
        return bytes(content)


def _elements(files: dict[str, bytes]) -> dict[str, tuple[str, str]]:
    """element id -> (name, BPMN type) over the BPMN files of a version."""
    found: dict[str, tuple[str, str]] = {}
    for name, content in files.items():
        if not name.lower().endswith(".bpmn"):
            continue
        try:
            root = safe_xml(content)
        except etree.XMLSyntaxError:
            continue
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") and etree.QName(el).namespace == BPMN_NS:
                found.setdefault(str(el.get("id")), (str(el.get("name") or ""), etree.QName(el).localname))
    return found


def diff(svc: Services, actor: Actor, process_id: str, from_version: int, to_version: int) -> VersionDiff:
    """A readable diff: added, removed and changed elements (by name), and the files that differ."""
    _require(actor)
    if from_version == to_version:
        raise InvalidInput("same version", {"to": "Choose two different versions."})
    with UnitOfWork(svc.sessions) as uow:
        old, new = _version(uow, process_id, from_version), _version(uow, process_id, to_version)
        old_files = {f.name: f.content for f in old.files}
        new_files = {f.name: f.content for f in new.files}
        old_id, new_id = old.id, new.id
    changes = diff_versions(svc, actor, old_id, new_id)
    old_names, new_names = _elements(old_files), _elements(new_files)

    def element(element_id: str, names: dict[str, tuple[str, str]], what: tuple[str, ...] = ()) -> ElementChange:
        name, kind = names.get(element_id, ("", ""))
        return ElementChange(element_id, name, kind, what)

    processes = tuple(
        ProcessDiff(
            c.process_id,
            tuple(element(e, new_names) for e in c.added),
            tuple(element(e, old_names) for e in c.removed),
            tuple(
                element(e, new_names, tuple(dict.fromkeys(CHANGED_WORDS.get(a, a) for a in attrs)))
                for e, attrs in sorted(c.changed.items())
            ),
        )
        for c in changes
    )
    files_changed = tuple(sorted(n for n in set(old_files) | set(new_files) if old_files.get(n) != new_files.get(n)))
    return VersionDiff(process_id, from_version, to_version, processes, files_changed)


def instances_on_other_versions(
    svc: Services,
    actor: Actor,
    process_id: str,
    target_version: int,
    *,
    from_version: int | None = None,
    limit: int = 50,
) -> list[InstanceRow]:
    """Unfinished instances not on `target_version` (or only those on `from_version`), oldest first."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        target = _version(uow, process_id, target_version)
        query = (
            select(ProcessInstance, ProcessVersion.version)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status.in_(LIVE_STATUSES),
                ProcessInstance.version_id != target.id,
            )
            .order_by(ProcessInstance.id)
            .limit(max(1, min(limit, 500)))
        )
        if from_version is not None:
            query = query.where(ProcessVersion.version == from_version)
        return [
            InstanceRow(
                row.id,
                number,
                row.version_id,
                row.status,
                row.started_at,
                row.updated_at,
                tuple(row.active_elements or ()),
            )
            for row, number in uow.session.execute(query).all()
        ]


def recent_migrations(svc: Services, actor: Actor, process_id: str, limit: int = 50) -> list[MigrationRow]:
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(
            select(InstanceMigration)
            .join(ProcessInstance, ProcessInstance.id == InstanceMigration.instance_id)
            .where(ProcessInstance.process_id == process_id)
            .order_by(InstanceMigration.id.desc())
            .limit(limit)
        ).all()
        numbers = dict(
            uow.session.execute(
                select(ProcessVersion.id, ProcessVersion.version).where(ProcessVersion.process_id == process_id)
            ).all()
        )
        return [
            MigrationRow(
                r.id,
                r.instance_id,
                int(numbers.get(r.from_version_id, 0)),
                int(numbers.get(r.to_version_id, 0)),
                r.forced,
                r.migrated_by,
                r.migrated_at,
                r.reverted_by,
                r.reverted_at,
            )
            for r in rows
        ]
