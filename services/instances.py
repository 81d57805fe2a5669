"""Start instances and read their state for monitoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import ScriptError
from services.context import Actor, Services
from services.deploy import latest_version_id
from services.errors import Forbidden, NotFound
from services.projection import apply_snapshot, audit, record_incident
from services.runtime import keep_after_commit
from services.uow import UnitOfWork
from services.versions import CachedVersion
from store.models import HumanTask, Incident, ProcessInstance

START_ROLES = ("process_owner", "supervisor")


@dataclass(frozen=True)
class InstanceInfo:
    id: int
    process_id: str
    version: int
    version_id: int
    case_id: int | None
    status: str
    active_elements: list[str]
    next_timer_at: datetime | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    state_size: int
    incidents: list[dict[str, Any]] = field(default_factory=list)
    open_tasks: list[dict[str, Any]] = field(default_factory=list)


def start_instance(
    svc: Services,
    actor: Actor,
    process_id: str,
    data: dict[str, Any] | None = None,
    *,
    case_id: int | None = None,
    require_role: bool = True,
) -> InstanceInfo:
    """Start the latest version of `process_id`. A script error on the way to the first wait state
    becomes an incident on the stored instance, not an exception."""
    if require_role and not actor.has(*START_ROLES):
        raise Forbidden("only a process owner or supervisor may start processes directly")
    with UnitOfWork(svc.sessions, write=True) as uow:
        version_id = latest_version_id(uow, process_id)
        if version_id is None:
            raise NotFound(f"no deployed process {process_id!r}")
        info = start_in(uow, svc, actor, svc.versions.get(uow.session, version_id), data or {}, case_id=case_id)
        uow.commit()
    return info


def start_in(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    version: CachedVersion,
    data: dict[str, Any],
    *,
    case_id: int | None = None,
) -> InstanceInfo:
    """Start an instance inside an open unit of work (used by other use cases too)."""
    now = svc.now()
    error: ScriptError | None = None
    try:
        instance = svc.engine.start(version.key, version.spec_json, data)
    except ScriptError as exc:
        error = exc
        instance = exc.instance  # type: ignore[assignment]
    snap = instance.snapshot()  # type: ignore[union-attr]
    row = ProcessInstance(
        version_id=version.id,
        process_id=version.process_id,
        case_id=case_id,
        status="running",
        state_json=snap.state_json,
        serializer_version=snap.serializer_version,
        started_by=actor.username,
        started_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    apply_snapshot(uow.session, row, snap, now=now, actor=actor.username)
    audit(
        uow.session,
        actor=actor.username,
        action="instance_started",
        now=now,
        row=row,
        details={"process_id": version.process_id, "version": version.version},
    )
    if error is not None:
        record_incident(uow.session, row, "script_error", error.bpmn_id, str(error), now)
    uow.session.flush()
    keep_after_commit(svc, uow, row, instance)  # the first completion need not restore it
    return _info(uow, row)


def get_instance(svc: Services, actor: Actor, instance_id: int) -> InstanceInfo:
    if not actor.has("process_owner", "supervisor"):
        raise Forbidden("only a process owner or supervisor may inspect instances")
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(f"no process instance {instance_id}")
        return _info(uow, row)


def _info(uow: UnitOfWork, row: ProcessInstance) -> InstanceInfo:
    incidents = uow.session.scalars(select(Incident).where(Incident.instance_id == row.id).order_by(Incident.id)).all()
    tasks = uow.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == row.id, HumanTask.status == "open")
    ).all()
    return InstanceInfo(
        id=row.id,
        process_id=row.process_id,
        version=row.version.version,
        version_id=row.version_id,
        case_id=row.case_id,
        status=row.status,
        active_elements=list(row.active_elements or []),
        next_timer_at=row.next_timer_at,
        started_by=row.started_by,
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        state_size=row.state_size,
        incidents=[
            {
                "id": i.id,
                "kind": i.kind,
                "element_id": i.element_id,
                "message": i.message,
                "status": i.status,
                "created_at": i.created_at.isoformat(),
            }
            for i in incidents
        ],
        open_tasks=[
            {"id": t.id, "bpmn_id": t.bpmn_id, "title": t.title, "lane": t.lane, "assignee": t.assignee} for t in tasks
        ],
    )
