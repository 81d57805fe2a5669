"""The inbox's SQL (services/inbox.py): one statement per shape, with bind parameters for the values.

A shape is what changes the SQL text: scope, status, sort, which filters are set, and which kinds of
case the person may see. Who the person is, their team and lanes, the filters' values and the page are
bind parameters, so each shape is built once per process and SQLAlchemy compiles it once: building
the UNION with its subqueries cost more than running it on a small database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import aliased, defer

from services.access import hidden_restricted
from store.models import Case, HumanTask, ProcessInstance, ProcessVersion


@dataclass(frozen=True)
class Shape:
    """Everything that changes the statements' SQL text (services.inbox builds it from actor and query)."""

    scope: str
    status: str
    sort: str
    descending: bool
    filters: tuple[str, ...]  # the names of the filters that are set
    overdue: bool
    supervisor: bool
    case_roles: bool
    team: bool
    intake: bool
    lanes: bool


FILTERS = ("process", "version", "lane", "case_reference", "due_before", "due_after")
USERNAME = "username"  # the bind parameters of the inbox statements
TEAM = "team_id"
LANES = "lanes"
GRANTS_AT = "grants_at"  # the wall clock, for break-the-glass expiry (services.access)
NOW = "now"
OFFSET = "page_offset"
LIMIT = "page_limit"


def _visibility_branches(shape: Shape) -> list[ColumnElement[bool]] | None:
    """The SQL form of access.can_see_case, for tasks (keep the two in step): disjoint conditions, one
    per branch of a UNION ALL; None when every case is visible (a supervisor; restricted cases aside).

    Written on the task's own case_id (`case_id IN (the cases I may see)`), never on the joined case
    row, and kept out of an OR with `case_id IS NULL`: so both databases start from the few cases a
    person may see (the team's through the client_case team index, those where they hold a task through
    the assignee index) and look their tasks up by case_id, instead of reading every open task of the
    lane in the country and joining each to its case."""
    if shape.supervisor:
        return None
    no_case = HumanTask.case_id.is_(None)  # instances without a case (a model being tested)
    if not shape.case_roles:
        return [no_case]
    holder = aliased(HumanTask, name="held_task")
    cases: list[Select[Any]] = [
        select(holder.case_id).where(holder.assignee == bindparam(USERNAME), holder.case_id.is_not(None))
    ]
    if shape.team:
        cases.append(select(Case.id).where(Case.team_id == bindparam(TEAM)))
    if shape.intake:
        cases.append(select(Case.id).where(Case.team_id.is_(None)))  # referrals no team owns yet
    visible = union(*cases) if len(cases) > 1 else cases[0]
    return [HumanTask.case_id.in_(visible), no_case]


def _workable_lanes(shape: Shape) -> ColumnElement[bool]:
    """Lane policy (access.may_work_lane): the lane's roles; a task without a lane goes to its starter.
    The starter is looked up only for lane-less tasks (a correlated EXISTS, not a join of every row)."""
    started_by_me = (
        select(ProcessInstance.id)
        .where(ProcessInstance.id == HumanTask.instance_id, ProcessInstance.started_by == bindparam(USERNAME))
        .exists()
    )
    starter = and_(HumanTask.lane.is_(None), started_by_me)
    return or_(HumanTask.lane.in_(bindparam(LANES, expanding=True)), starter) if shape.lanes else starter


def _scope_conditions(shape: Shape) -> list[ColumnElement[bool]]:
    status = HumanTask.status == shape.status
    username: BindParameter[str] = bindparam(USERNAME)
    restricted = hidden_restricted(username, bindparam(GRANTS_AT))
    if shape.scope == "mine":
        mine = HumanTask.assignee if shape.status == "open" else HumanTask.completed_by
        return [status, mine == username]
    if shape.scope == "team":  # need-to-know: _visibility_branches; restricted cases only for their named users
        conditions = [status, _workable_lanes(shape), restricted]
        if shape.status == "open":
            conditions.append(HumanTask.assignee.is_(None))
        return conditions
    return [status, restricted]


def _filter_conditions(shape: Shape) -> list[ColumnElement[bool]]:
    columns: dict[str, Any] = {
        "process": HumanTask.process_id == bindparam("process"),
        "version": ProcessVersion.version == bindparam("version"),
        "lane": HumanTask.lane == bindparam("lane"),
        "case_reference": Case.reference == bindparam("case_reference"),
        "due_before": HumanTask.due_at < bindparam("due_before"),
        "due_after": HumanTask.due_at >= bindparam("due_after"),
    }
    conditions = [columns[name] for name in shape.filters]
    if shape.overdue:
        conditions.append(and_(HumanTask.status == "open", HumanTask.due_at < bindparam(NOW)))
    return conditions


def _ordering(shape: Shape, columns: Any = HumanTask) -> list[Any]:
    """ORDER BY terms over `columns`: the task entity or a subquery with the same column names."""

    def direction(column: Any) -> Any:
        return column.desc() if shape.descending else column.asc()

    due_missing = case((columns.due_at.is_(None), 1), else_=0)  # tasks without a deadline go last
    if shape.sort == "priority":
        keys = [direction(columns.priority), due_missing, columns.due_at.asc()]
    elif shape.sort == "created":
        keys = [direction(columns.created_at)]
    elif shape.sort == "completed":
        keys = [direction(columns.completed_at)]
    else:
        keys = [due_missing, direction(columns.due_at), columns.priority.desc()]
    return [*keys, columns.created_at.asc(), columns.id.asc()]


def row_select() -> Select[HumanTask, str, int]:
    """Tasks with their case reference and process version number (both None when missing: outer joins)."""
    return (
        select(HumanTask, Case.reference, ProcessVersion.version)
        .options(defer(HumanTask.draft))  # drafts can be large; a list needs only whether there is one
        .outerjoin(Case, Case.id == HumanTask.case_id)
        .outerjoin(ProcessVersion, ProcessVersion.id == HumanTask.version_id)
    )


@functools.lru_cache(maxsize=512)
def statements(shape: Shape) -> tuple[Select[HumanTask, str, int, int], Select[int]]:
    """The page statement and the count statement of one shape.

    The page is found narrow first: the matching tasks' ids and sort keys (one UNION ALL branch per
    kind of case a person may see), sorted and cut to the page with `count(*) OVER ()` computed in the
    same pass (one scan instead of a page query and a count query); only the page's rows are then
    read in full and joined to their case and version. bench/inbox EXPLAINs both statements."""
    common = [*_scope_conditions(shape), *_filter_conditions(shape)]
    branches = _visibility_branches(shape) if shape.scope == "team" else None
    keys = (HumanTask.id, HumanTask.due_at, HumanTask.priority, HumanTask.created_at, HumanTask.completed_at)
    selects = []
    for branch in branches or [true()]:
        one = select(*keys)
        if "case_reference" in shape.filters:  # the only conditions on joined rows are these two filters
            one = one.join(Case, Case.id == HumanTask.case_id)
        if "version" in shape.filters:
            one = one.join(ProcessVersion, ProcessVersion.id == HumanTask.version_id)
        selects.append(one.where(*common, branch))
    matching = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("matching")
    ids = (
        select(matching.c.id, func.count().over().label("total"))
        .order_by(*_ordering(shape, matching.c))
        .offset(bindparam(OFFSET, type_=Integer))
        .limit(bindparam(LIMIT, type_=Integer))
        .subquery("page_ids")
    )
    page = row_select().join(ids, ids.c.id == HumanTask.id).add_columns(ids.c.total).order_by(*_ordering(shape))
    count = select(func.count()).select_from(matching)
    return page, count
