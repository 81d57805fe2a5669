"""The instance list for supervisors and process owners, and their saved instance filters.

Filters: process, version (any number, or all), state, lane (an open task in that lane), overdue
(an open task past its due date), started and updated ranges, case reference. Server-side pages.
A process owner sees no case data: the case reference is neither shown nor accepted as a filter.

Saved filters share the inbox's `saved_filter` table; their names carry the prefix `instances:`
so the inbox never lists them (services.inbox skips that prefix) and no new table is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.exc import IntegrityError

from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.filters import aware, query_from_values, value_parser
from services.uow import UnitOfWork
from store.models import Case, HumanTask, Incident, ProcessInstance, ProcessVersion, SavedFilter

LIST_ROLES = ("supervisor", "process_owner")
CASE_DATA_ROLES = ("supervisor",)
FILTER_PREFIX = "instances:"
MAX_PER_PAGE = 200
MAX_FILTERS_PER_USER = 50
State = Literal["open", "running", "error", "suspended", "completed", "cancelled"]
SortKey = Literal["updated", "started", "id"]
Order = Literal["asc", "desc"]
OPEN_STATES = ("running", "waiting", "error", "suspended")


@dataclass(frozen=True)
class InstanceQuery:
    process: str | None = None
    version: int | None = None
    state: State | None = None
    lane: str | None = None
    overdue: bool = False
    case_reference: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    sort: SortKey = "updated"
    order: Order = "desc"
    page: int = 1
    per_page: int = 50

    def errors(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.state is not None and self.state not in get_args(State):
            problems["state"] = f"one of: {', '.join(get_args(State))}"
        if self.sort not in get_args(SortKey):
            problems["sort"] = f"one of: {', '.join(get_args(SortKey))}"
        if self.order not in get_args(Order):
            problems["order"] = "asc or desc"
        if self.page < 1:
            problems["page"] = "1 or more"
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems["per_page"] = f"between 1 and {MAX_PER_PAGE}"
        if self.version is not None and not 1 <= self.version <= 1_000_000:
            problems["version"] = "between 1 and 1000000"
        for name in ("process", "lane", "case_reference"):
            value = getattr(self, name)
            if value is not None and not 1 <= len(value) <= 200:
                problems[name] = "between 1 and 200 characters"
        return problems


@dataclass(frozen=True)
class InstanceRow:
    id: int
    process_id: str
    version: int
    status: str
    active_elements: list[str]
    case_id: int | None
    case_reference: str | None  # None for roles without case data
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    next_timer_at: datetime | None
    open_tasks: int
    open_incidents: int
    overdue: bool


@dataclass(frozen=True)
class InstancePage:
    rows: list[InstanceRow]
    total: int
    page: int
    per_page: int
    as_of: datetime


def _conditions(query: InstanceQuery, now: datetime) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    if query.process is not None:
        c.append(ProcessInstance.process_id == query.process)
    if query.version is not None:
        c.append(ProcessVersion.version == query.version)
    if query.state == "open":
        c.append(ProcessInstance.status.in_(OPEN_STATES))
    elif query.state == "running":
        c.append(ProcessInstance.status.in_(("running", "waiting")))
    elif query.state is not None:
        c.append(ProcessInstance.status == query.state)
    open_task = (HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open")
    if query.lane is not None:
        c.append(exists().where(*open_task, HumanTask.lane == query.lane))
    if query.overdue:
        c.append(exists().where(*open_task, HumanTask.due_at < now))
    if query.case_reference is not None:
        c.append(Case.reference == query.case_reference.strip().upper())
    for column, after, before in (
        (ProcessInstance.started_at, query.started_after, query.started_before),
        (ProcessInstance.updated_at, query.updated_after, query.updated_before),
    ):
        if after is not None:
            c.append(column >= aware(after))
        if before is not None:
            c.append(column < aware(before))
    return c


def list_instances(svc: Services, actor: Actor, query: InstanceQuery) -> InstancePage:
    """One page of instances; `total` counts every match."""
    if not actor.has(*LIST_ROLES):
        raise Forbidden("only supervisors and process owners list process instances")
    problems = query.errors()
    sees_cases = actor.has(*CASE_DATA_ROLES)
    if query.case_reference is not None and not sees_cases:
        problems["case_reference"] = "your role does not see case data"
    if problems:
        raise InvalidInput("the instance query is not valid", problems)
    now = svc.now()
    conditions = _conditions(query, now)
    column = {"updated": ProcessInstance.updated_at, "started": ProcessInstance.started_at}.get(
        query.sort, ProcessInstance.id
    )
    ordering = [column.desc() if query.order == "desc" else column.asc(), ProcessInstance.id.desc()]
    open_tasks = (
        select(func.count())
        .where(HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open")
        .scalar_subquery()
    )
    late = exists().where(
        HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open", HumanTask.due_at < now
    )
    incidents = (
        select(func.count())
        .where(Incident.instance_id == ProcessInstance.id, Incident.status == "open")
        .scalar_subquery()
    )
    base = (
        select(ProcessInstance.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .where(*conditions)
    )
    with UnitOfWork(svc.sessions) as uow:
        s = uow.session
        total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = s.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.process_id,
                ProcessVersion.version,
                ProcessInstance.status,
                ProcessInstance.active_elements,
                ProcessInstance.case_id,
                Case.reference,
                ProcessInstance.started_by,
                ProcessInstance.started_at,
                ProcessInstance.updated_at,
                ProcessInstance.completed_at,
                ProcessInstance.next_timer_at,
                open_tasks.label("open_tasks"),
                incidents.label("incidents"),
                late.label("late"),
            )
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .outerjoin(Case, Case.id == ProcessInstance.case_id)
            .where(*conditions)
            .order_by(*ordering)
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page)
        ).all()
    return InstancePage(
        [
            InstanceRow(
                id=r.id,
                process_id=r.process_id,
                version=r.version,
                status=r.status,
                active_elements=list(r.active_elements or []),
                case_id=r.case_id if sees_cases else None,
                case_reference=r.reference if sees_cases else None,
                started_by=r.started_by,
                started_at=r.started_at,
                updated_at=r.updated_at,
                completed_at=r.completed_at,
                next_timer_at=r.next_timer_at,
                open_tasks=int(r.open_tasks or 0),
                open_incidents=int(r.incidents or 0),
                overdue=bool(r.late),
            )
            for r in rows
        ],
        int(total),
        query.page,
        query.per_page,
        now,
    )


# --- saved filters ----------------------------------------------------------------------------------

SAVED_KEYS = tuple(f.name for f in fields(InstanceQuery) if f.name != "page")
_DATES = ("started_after", "started_before", "updated_after", "updated_before")


@dataclass(frozen=True)
class SavedInstanceFilter:
    id: int
    name: str  # without the prefix
    query: dict[str, Any]
    created_at: datetime


_parse = value_parser(_DATES)


def query_from_dict(values: Mapping[str, Any]) -> InstanceQuery:
    """An InstanceQuery from JSON or query-string values; InvalidInput names the bad keys."""
    return query_from_values(values, keys=SAVED_KEYS, parse=_parse, build=InstanceQuery, what="instance filter")


def query_to_dict(query: InstanceQuery) -> dict[str, Any]:
    defaults = InstanceQuery()
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(query).items()
        if key != "page" and value != getattr(defaults, key)
    }


def _info(row: SavedFilter) -> SavedInstanceFilter:
    return SavedInstanceFilter(row.id, row.name.removeprefix(FILTER_PREFIX), dict(row.query), row.created_at)


def _mine(actor: Actor) -> Any:
    return (SavedFilter.username == actor.username, SavedFilter.name.startswith(FILTER_PREFIX, autoescape=True))


def save_instance_filter(svc: Services, actor: Actor, name: str, query: InstanceQuery) -> SavedInstanceFilter:
    if not actor.has(*LIST_ROLES):
        raise Forbidden("only supervisors and process owners list process instances")
    name = name.strip()
    if not 1 <= len(name) <= 100 - len(FILTER_PREFIX):
        raise InvalidInput("bad name", {"name": f"between 1 and {100 - len(FILTER_PREFIX)} characters"})
    problems = query.errors()
    if query.case_reference is not None and not actor.has(*CASE_DATA_ROLES):
        problems["case_reference"] = "your role does not see case data"
    if problems:
        raise InvalidInput("the instance filter is not valid", problems)
    full = FILTER_PREFIX + name
    with UnitOfWork(svc.sessions, write=True) as uow:
        owned = uow.session.scalar(select(func.count(SavedFilter.id)).where(*_mine(actor))) or 0
        if owned >= MAX_FILTERS_PER_USER:
            raise InvalidInput("too many filters", {"name": f"at most {MAX_FILTERS_PER_USER} saved filters each"})
        taken = uow.session.scalar(
            select(SavedFilter.id).where(SavedFilter.username == actor.username, SavedFilter.name == full)
        )
        if taken is not None:
            raise Conflict(f"you already have an instance filter named {name!r}")
        row = SavedFilter(username=actor.username, name=full, query=query_to_dict(query), created_at=svc.now())
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"you already have an instance filter named {name!r}") from exc
        uow.commit()
        return _info(row)


def list_instance_filters(svc: Services, actor: Actor) -> list[SavedInstanceFilter]:
    if not actor.has(*LIST_ROLES):
        raise Forbidden("only supervisors and process owners list process instances")
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(select(SavedFilter).where(*_mine(actor)).order_by(SavedFilter.name)).all()
        return [_info(r) for r in rows]


def delete_instance_filter(svc: Services, actor: Actor, filter_id: int) -> None:
    """Delete one of the actor's own instance filters; anyone else's is NotFound."""
    if not actor.has(*LIST_ROLES):
        raise Forbidden("only supervisors and process owners list process instances")
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(SavedFilter, filter_id)
        if row is None or row.username != actor.username or not row.name.startswith(FILTER_PREFIX):
            raise NotFound(f"no saved instance filter {filter_id}")
        uow.session.delete(row)
        uow.commit()
