"""Need-to-know: who may see a case, and who may work a task.

A supervisor sees every case; a caseworker (or intake, decider) sees the cases of their team and the
cases where they hold a task; a process owner sees no case data at all. Instances started without a
case (a process owner testing a model) carry no case data.

A restricted case (services/protection.py) is seen by its named users only, supervisors included;
a supervisor gets in by breaking the glass (a time-limited, flagged grant). It is left out of team
inboxes and searches for everyone else (`hidden_restricted`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from processes.lanes import roles_for_lane
from services.context import Actor
from services.errors import Forbidden, NotFound
from store.models import Case, CaseAccess, CaseProtection, HumanTask, utcnow

CASE_ROLES = frozenset({"intake", "caseworker", "decider", "supervisor"})


def _granted(username: Any, case_id: Any, now: Any) -> ColumnElement[bool]:
    """A named user of the case, or a break-the-glass grant unexpired at `now` (callers pass the wall clock)."""
    return (
        select(CaseAccess.id)
        .where(
            CaseAccess.case_id == case_id,
            CaseAccess.username == username,
            or_(CaseAccess.expires_at.is_(None), CaseAccess.expires_at > now),
        )
        .exists()
    )


def is_restricted(session: Session, case_id: int) -> bool:
    return bool(session.scalar(select(CaseProtection.restricted).where(CaseProtection.case_id == case_id)))


def is_named(session: Session, username: str, case_id: int) -> bool:
    return bool(session.scalar(select(_granted(username, case_id, utcnow()))))


def hidden_restricted(username: ColumnElement[str], now: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL: the task's case is not a restricted case hidden from `username` (true for tasks without a case),
    grants judged at `now` (the wall clock). Both are SQL expressions: the inbox passes bind parameters,
    so one statement, built and compiled once, serves every user."""
    return ~exists().where(
        and_(
            CaseProtection.case_id == HumanTask.case_id,
            CaseProtection.restricted.is_(True),
            ~_granted(username, CaseProtection.case_id, now),
        )
    )


def can_see_case(session: Session, actor: Actor, case: Case) -> bool:
    if is_restricted(session, case.id):
        return bool(actor.roles & CASE_ROLES) and is_named(session, actor.username, case.id)
    if actor.has("supervisor"):
        return True
    if not actor.roles & CASE_ROLES:
        return False
    if case.team_id is not None and case.team_id == actor.team_id:
        return True
    if case.team_id is None and actor.has("intake"):
        return True  # a fresh referral waits for intake before any team owns it
    holds = session.scalar(
        select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.assignee == actor.username).limit(1)
    )
    return holds is not None


def require_case_access(session: Session, actor: Actor, case: Case) -> None:
    if not can_see_case(session, actor, case):
        raise Forbidden("you may not see this case")


def readable_case(session: Session, actor: Actor, case_id: int, *, system_sees_all: bool = False) -> Case:
    """The case `actor` asks for: NotFound if there is none, Forbidden if they may not see it.
    `system_sees_all`: where the system itself acts (the worker, a process's message), it sees every case."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if not (system_sees_all and actor.has("system")):
        require_case_access(session, actor, case)
    return case


def may_work_lane(actor: Actor, lane: str | None, started_by: str) -> bool:
    """Lane policy: the lane's roles; a task without a lane goes to whoever started the instance."""
    if lane is None:
        return actor.username == started_by
    return bool(roles_for_lane(lane) & actor.roles)
