"""One instance as monitoring shows it: the diagram's markers, the path it took and who moved it.

- Markers: completed elements (the engine's path, read from the instance's state: one instance,
  one restore), active elements (the projection), elements with an open incident.
- History: the audit events of the instance and its tasks, plus when each task opened (the inbox
  rows), oldest first. The data entered at each step is case data: only roles that may see case
  data get it (a supervisor), and that read is written to the access log. A process owner sees the
  path, the times and the people, without data.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from services.access_log import Via, record_read
from services.cases import summarize
from services.context import Actor, Services
from services.element_catalog import catalog_of
from services.errors import Conflict, Forbidden, NotFound
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import AuditEvent, Case, HumanTask, Incident, ProcessInstance, ProcessVersion

VIEW_ROLES = ("supervisor", "process_owner")
CASE_DATA_ROLES = ("supervisor",)
HISTORY_LIMIT = 2000
CAUSE_WINDOW = timedelta(seconds=5)


@dataclass(frozen=True)
class HistoryStep:
    at: datetime
    actor: str
    action: str
    element_id: str | None
    element_name: str
    task_id: str | None
    summary: str
    data: dict[str, Any] | None = None  # the values entered; None for roles without case data


@dataclass(frozen=True)
class TaskLine:
    id: str
    bpmn_id: str
    title: str
    lane: str | None
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    overdue: bool


@dataclass(frozen=True)
class IncidentLine:
    id: int
    kind: str
    element_id: str | None
    message: str
    status: str
    created_at: datetime
    resolved_by: str | None


@dataclass(frozen=True)
class InstanceView:
    id: int
    process_id: str
    version: int
    version_id: int
    status: str
    case_id: int | None
    case_reference: str | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    next_timer_at: datetime | None
    active_elements: list[str]
    completed_elements: list[str]
    incident_elements: list[str]
    sees_case_data: bool
    diagram: bool  # the version has a drawing to show
    element_names: dict[str, str] = field(default_factory=dict)
    outside_diagram: list[str] = field(default_factory=list)  # active in a called process
    open_tasks: list[TaskLine] = field(default_factory=list)
    incidents: list[IncidentLine] = field(default_factory=list)
    history: list[HistoryStep] = field(default_factory=list)

    @property
    def markers(self) -> dict[str, list[str]]:
        """Element ids per marker class, for the diagram viewer."""
        return {
            "completed": self.completed_elements,
            "active": self.active_elements,
            "incident": self.incident_elements,
        }


def _require(actor: Actor) -> None:
    if not actor.has(*VIEW_ROLES):
        raise Forbidden("only a supervisor or a process owner may inspect process instances")


def _data(action: str, details: dict[str, Any]) -> dict[str, Any] | None:
    if action == "task_completed":
        changes = details.get("changes") or {}
        return {k: v.get("new") if isinstance(v, dict) else v for k, v in changes.items()}
    if action in ("message_delivered", "instance_started", "instance_suspended", "instance_resumed"):
        return {k: v for k, v in details.items() if k not in ("process_id", "version")} or None
    if action in ("instance_cancelled", "action_reason", "task_assigned"):
        return dict(details) or None
    return None


def _summary(action: str, details: dict[str, Any], sees_data: bool) -> str:
    if sees_data:
        return summarize(action, details)
    if action == "instance_started":
        return f"{details.get('process_id')} version {details.get('version')}"
    if action == "task_assigned":
        return f"from {details.get('from') or 'nobody'} to {details.get('to') or 'nobody'}"
    return ""


def _with_openings(history: list[HistoryStep], tasks: Sequence[HumanTask]) -> list[HistoryStep]:
    """Insert "task opened" steps: each right after the event that opened it, i.e. the first event at or
    within a few seconds after the task's creation (a completion is logged a moment after the task it
    opens is projected), else by time."""
    times = [h.at for h in history]
    keyed: list[tuple[float, int, HistoryStep]] = [(float(i), 0, h) for i, h in enumerate(history)]
    for n, t in enumerate(tasks):
        i = bisect_left(times, t.created_at)
        near = i < len(times) and times[i] - t.created_at <= CAUSE_WINDOW
        step = HistoryStep(t.created_at, "", "task_opened", t.bpmn_id, t.title, t.id, t.lane or "")
        keyed.append((i + 0.5 if near else i - 0.5, n + 1, step))
    return [h for _pos, _n, h in sorted(keyed, key=lambda k: (k[0], k[1]))]


def get_instance_view(svc: Services, actor: Actor, instance_id: int, *, via: Via = "page") -> InstanceView:
    """The instance with its markers and history; logs the read of case data when there is some."""
    _require(actor)
    sees_data = actor.has(*CASE_DATA_ROLES)
    now = svc.now()
    # A supervisor's read is logged in the same transaction (services.access_log); a process owner reads no
    # case data, so their view needs no write lock.
    with UnitOfWork(svc.sessions, write=sees_data) as uow:
        s = uow.session
        row = s.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(f"no process instance {instance_id}")
        version = s.get(ProcessVersion, row.version_id)
        assert version is not None  # foreign key
        reference = s.scalar(select(Case.reference).where(Case.id == row.case_id)) if row.case_id else None
        tasks = s.scalars(
            select(HumanTask).where(HumanTask.instance_id == row.id).order_by(HumanTask.created_at, HumanTask.id)
        ).all()
        task_ids = [t.id for t in tasks]
        events = s.scalars(
            select(AuditEvent)
            .where(
                or_(AuditEvent.instance_id == row.id, AuditEvent.task_id.in_(task_ids))
                if task_ids
                else AuditEvent.instance_id == row.id
            )
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(HISTORY_LIMIT)
        ).all()
        incidents = s.scalars(select(Incident).where(Incident.instance_id == row.id).order_by(Incident.id)).all()
        catalog = catalog_of(svc)
        drawn = catalog.version(s, row.version_id)
        names = {k: v.name for k, v in catalog.lookup(s, row.version_id).items() if v.name}
        try:
            completed = restore(svc, uow, row).path()
        except Conflict:
            completed = [e.element_id for e in events if e.action == "task_completed" and e.element_id]
        history = [
            HistoryStep(
                e.at,
                e.actor,
                e.action,
                e.element_id,
                names.get(e.element_id or "", ""),
                e.task_id,
                _summary(e.action, e.details or {}, sees_data),
                _data(e.action, e.details or {}) if sees_data else None,
            )
            for e in events
        ]
        history = _with_openings(history, tasks)
        active = list(row.active_elements or [])
        own = drawn.elements if drawn is not None else {}
        view = InstanceView(
            id=row.id,
            process_id=row.process_id,
            version=version.version,
            version_id=row.version_id,
            status=row.status,
            case_id=row.case_id if sees_data else None,
            case_reference=reference if sees_data else None,
            started_by=row.started_by,
            started_at=row.started_at,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
            next_timer_at=row.next_timer_at,
            active_elements=active,
            completed_elements=list(dict.fromkeys(completed)),
            incident_elements=sorted({i.element_id for i in incidents if i.status == "open" and i.element_id}),
            sees_case_data=sees_data,
            diagram=drawn is not None and drawn.bpmn is not None and b"BPMNShape" in drawn.bpmn,  # has DI
            element_names=names,
            outside_diagram=[a for a in active if a not in own],
            open_tasks=[
                TaskLine(
                    t.id,
                    t.bpmn_id,
                    t.title,
                    t.lane,
                    t.assignee,
                    t.due_at,
                    t.created_at,
                    t.due_at is not None and t.due_at < now,
                )
                for t in tasks
                if t.status == "open"
            ],
            incidents=[
                IncidentLine(i.id, i.kind, i.element_id, i.message, i.status, i.created_at, i.resolved_by)
                for i in incidents
            ],
            history=history,
        )
        if sees_data and row.case_id is not None:
            record_read(s, actor, row.case_id, f"instance {row.id} history", via, at=now)
        if sees_data:
            uow.commit()
    return view


def diagram_xml(svc: Services, actor: Actor, instance_id: int) -> tuple[str, bytes]:
    """The BPMN file that draws the instance's process version: (file name, XML)."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        version_id = uow.session.scalar(select(ProcessInstance.version_id).where(ProcessInstance.id == instance_id))
        if version_id is None:
            raise NotFound(f"no process instance {instance_id}")
        drawn = catalog_of(svc).version(uow.session, version_id)
        if drawn is None or drawn.bpmn is None or drawn.bpmn_name is None:
            raise NotFound("this process version has no diagram")
        return drawn.bpmn_name, drawn.bpmn
