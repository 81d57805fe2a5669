"""The task inbox and each user's saved inbox filters.

The inbox reads the `human_task` projection (joined to the case for its reference and to the process
version for its number), never the workflow JSON: the projection is written in the same transaction
as every change to an instance, so it is exact, and it is indexed, so the inbox stays fast with many
thousands of running instances. The statements themselves are built in services/inbox_sql.py.

Scopes, in need-to-know terms (services/access.py):
- `mine`: open tasks assigned to me; with status=completed, the tasks I completed.
- `team`: open, unclaimed tasks in the lanes my roles can work, on cases I may see (my team's cases,
  cases where I hold a task; intake also sees referrals no team owns yet). Tasks of instances without
  a case carry no case data and go to the lane's roles; a task without a lane goes to the starter.
- `all`: every task; supervisor only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from processes.lanes import lanes_for_roles
from services.access import CASE_ROLES
from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.filters import aware, query_from_values, value_parser
from services.inbox_sql import (
    FILTERS,
    GRANTS_AT,
    LANES,
    LIMIT,
    NOW,
    OFFSET,
    TEAM,
    USERNAME,
    Shape,
    row_select,
    statements,
)
from services.uow import UnitOfWork
from store.models import HumanTask, SavedFilter, utcnow

Scope = Literal["mine", "team", "all"]
Status = Literal["open", "completed"]
SortKey = Literal["due", "created", "priority", "completed"]
Order = Literal["asc", "desc"]

MAX_PER_PAGE = 200
MAX_FILTERS_PER_USER = 50
# Natural direction of each sort key when `order` is not given: oldest deadline first, most urgent first.
DEFAULT_ORDER: dict[str, Order] = {"due": "asc", "created": "asc", "priority": "desc", "completed": "desc"}


@dataclass(frozen=True)
class InboxQuery:
    """What to list. Plain values, so the JSON API, the HTML pages and saved filters share it."""

    scope: Scope = "mine"
    status: Status = "open"
    process: str | None = None
    version: int | None = None
    lane: str | None = None
    case_reference: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool = False
    sort: SortKey = "due"
    order: Order | None = None
    page: int = 1
    per_page: int = 50

    def errors(self) -> dict[str, str]:
        """Per-field problems; empty when the query is valid."""
        problems: dict[str, str] = {}
        for name, allowed in (("scope", Scope), ("status", Status), ("sort", SortKey)):
            if getattr(self, name) not in get_args(allowed):
                problems[name] = f"one of: {', '.join(get_args(allowed))}"
        if self.order is not None and self.order not in get_args(Order):
            problems["order"] = "asc or desc"
        if self.page < 1:
            problems["page"] = "1 or more"
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems["per_page"] = f"between 1 and {MAX_PER_PAGE}"
        if self.version is not None and self.version < 1:
            problems["version"] = "1 or more"
        for name in ("process", "lane", "case_reference"):
            value = getattr(self, name)
            if value is not None and not 1 <= len(value) <= 200:
                problems[name] = "between 1 and 200 characters"
        return problems


@dataclass(frozen=True)
class InboxRow:
    id: str
    case_id: int | None
    case_reference: str | None
    process: str
    version: int | None
    name: str  # the BPMN element id
    title: str  # its label
    lane: str | None
    assignee: str | None
    priority: int
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    status: str
    completed_at: datetime | None
    completed_by: str | None
    has_draft: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int
    as_of: datetime  # the projection is exact as of this moment


def may_use_inbox(actor: Actor) -> bool:
    """Anyone whose roles work some lane has an inbox (a process owner tests models through it)."""
    return actor.has("supervisor") or bool(lanes_for_roles(actor.roles))


def row_of(task: HumanTask, reference: str | None, version: int | None, now: datetime) -> InboxRow:
    overdue = task.status == "open" and task.due_at is not None and task.due_at < now
    return InboxRow(
        id=task.id,
        case_id=task.case_id,
        case_reference=reference,
        process=task.process_id,
        version=version,
        name=task.bpmn_id,
        title=task.title,
        lane=task.lane,
        assignee=task.assignee,
        priority=task.priority,
        due_at=task.due_at,
        overdue=overdue,
        created_at=task.created_at,
        status=task.status,
        completed_at=task.completed_at,
        completed_by=task.completed_by,
        # save_draft sets both draft and draft_saved_at; a completion clears the draft.
        has_draft=task.status == "open" and task.draft_saved_at is not None,
    )


def list_tasks(svc: Services, actor: Actor, query: InboxQuery) -> InboxPage:
    """One page of the inbox for `actor`; `total` counts every matching task."""
    problems = query.errors()
    if problems:
        raise InvalidInput("the inbox query is not valid", problems)
    if not may_use_inbox(actor):
        raise Forbidden("you have no task inbox")
    now = svc.now()
    page_select, count_select, values = _prepared(actor, query, now)
    with UnitOfWork(svc.sessions) as uow:
        page = uow.session.execute(page_select, values).all()
        total = int(page[0][3]) if page else 0
        if not page and query.page > 1:  # past the last page: the window count had no row to ride on
            total = uow.session.scalar(count_select, values) or 0
        rows = [row_of(task, reference, version, now) for task, reference, version, _total in page]
    return InboxPage(rows, total, query.page, query.per_page, now)


def _shape(actor: Actor, query: InboxQuery) -> Shape:
    return Shape(
        scope=query.scope,
        status=query.status,
        sort=query.sort,
        descending=(query.order or DEFAULT_ORDER[query.sort]) == "desc",
        filters=tuple(name for name in FILTERS if getattr(query, name) is not None),
        overdue=query.overdue,
        supervisor=actor.has("supervisor"),
        case_roles=bool(actor.roles & CASE_ROLES),
        team=actor.team_id is not None,
        intake=actor.has("intake"),
        lanes=bool(lanes_for_roles(actor.roles)),
    )


def _prepared(
    actor: Actor, query: InboxQuery, now: datetime
) -> tuple[Select[HumanTask, str, int, int], Select[int], dict[str, Any]]:
    """The (cached) statements for the query's shape and the values of their bind parameters."""
    if query.scope == "all" and not actor.has("supervisor"):
        raise Forbidden("only a supervisor may list every task")
    page, count = statements(_shape(actor, query))
    values: dict[str, Any] = {
        USERNAME: actor.username,
        TEAM: actor.team_id,
        LANES: sorted(lanes_for_roles(actor.roles)),
        GRANTS_AT: utcnow(),
        NOW: now,
        OFFSET: (query.page - 1) * query.per_page,
        LIMIT: query.per_page,
        "process": query.process,
        "version": query.version,
        "lane": query.lane,
        "case_reference": query.case_reference.strip().upper() if query.case_reference is not None else None,
        "due_before": aware(query.due_before) if query.due_before is not None else None,
        "due_after": aware(query.due_after) if query.due_after is not None else None,
    }
    return page, count, values


def inbox_statements(
    actor: Actor, query: InboxQuery, now: datetime
) -> tuple[Select[HumanTask, str, int, int], Select[int]]:
    """(one page of rows, each with the count of all matching rows; that count alone) for a valid query,
    with the values bound (bench/inbox EXPLAINs them; list_tasks passes the values at execution)."""
    page, count, values = _prepared(actor, query, now)
    return page.params(values), count.params(values)


# --- saved filters ----------------------------------------------------------------------------------

SAVED_KEYS = tuple(f.name for f in fields(InboxQuery) if f.name != "page")


@dataclass(frozen=True)
class SavedFilterInfo:
    id: int
    name: str
    query: dict[str, Any]
    created_at: datetime


_parse_value = value_parser(("due_before", "due_after"))


def query_from_dict(values: Mapping[str, Any]) -> InboxQuery:
    """An InboxQuery from JSON or query-string values (strings are parsed); InvalidInput names bad keys."""
    return query_from_values(values, keys=SAVED_KEYS, parse=_parse_value, build=InboxQuery, what="inbox filter")


def query_to_dict(query: InboxQuery) -> dict[str, Any]:
    """The query as JSON values without defaults or the page number (what a saved filter stores)."""
    defaults = InboxQuery()
    out: dict[str, Any] = {}
    for key, value in asdict(query).items():
        if key == "page" or value == getattr(defaults, key):
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _info(row: SavedFilter) -> SavedFilterInfo:
    return SavedFilterInfo(row.id, row.name, dict(row.query), row.created_at)


def save_filter(svc: Services, actor: Actor, name: str, query: InboxQuery) -> SavedFilterInfo:
    """Save `query` under `name` for `actor`; Conflict if the name is taken."""
    if not may_use_inbox(actor):
        raise Forbidden("you have no task inbox")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("bad name", {"name": "between 1 and 100 characters"})
    problems = query.errors()
    if problems:
        raise InvalidInput("the inbox filter is not valid", problems)
    with UnitOfWork(svc.sessions, write=True) as uow:
        owned = uow.session.scalar(select(func.count(SavedFilter.id)).where(SavedFilter.username == actor.username))
        if (owned or 0) >= MAX_FILTERS_PER_USER:
            raise InvalidInput("too many filters", {"name": f"at most {MAX_FILTERS_PER_USER} saved filters each"})
        taken = uow.session.scalar(
            select(SavedFilter.id).where(SavedFilter.username == actor.username, SavedFilter.name == name)
        )
        if taken is not None:
            raise Conflict(f"you already have a filter named {name!r}")
        row = SavedFilter(username=actor.username, name=name, query=query_to_dict(query), created_at=svc.now())
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError as exc:  # the same name saved twice at the same moment
            raise Conflict(f"you already have a filter named {name!r}") from exc
        uow.commit()
        return _info(row)


def list_filters(svc: Services, actor: Actor) -> list[SavedFilterInfo]:
    """The actor's own saved filters, by name."""
    if not may_use_inbox(actor):
        raise Forbidden("you have no task inbox")
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(
            select(SavedFilter)
            .where(SavedFilter.username == actor.username, ~SavedFilter.name.startswith("instances:"))
            .order_by(SavedFilter.name)
        ).all()  # "instances:" names are the instance list's filters (services.monitoring_list)
        return [_info(r) for r in rows]


def delete_filter(svc: Services, actor: Actor, filter_id: int) -> None:
    """Delete one of the actor's own filters; someone else's is NotFound (its existence is not told)."""
    if not may_use_inbox(actor):
        raise Forbidden("you have no task inbox")
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(SavedFilter, filter_id)
        if row is None or row.username != actor.username:
            raise NotFound(f"no saved filter {filter_id}")
        uow.session.delete(row)
        uow.commit()


__all__ = [
    "InboxPage",
    "InboxQuery",
    "InboxRow",
    "SavedFilterInfo",
    "delete_filter",
    "inbox_statements",
    "list_filters",
    "list_tasks",
    "may_use_inbox",
    "query_from_dict",
    "query_to_dict",
    "row_of",
    "row_select",
    "save_filter",
]
