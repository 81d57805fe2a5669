"""Need-to-know: who may see a case, and who may work a task.

A supervisor sees every case; a caseworker (or intake, decider) sees the cases of their team and the
cases where they hold a task; a process owner sees no case data at all. Instances started without a
case (a process owner testing a model) carry no case data.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from processes.lanes import roles_for_lane
from services.context import Actor
from services.errors import Forbidden
from store.models import Case, HumanTask

CASE_ROLES = frozenset({"intake", "caseworker", "decider", "supervisor"})


def can_see_case(session: Session, actor: Actor, case: Case) -> bool:
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


def may_work_lane(actor: Actor, lane: str | None, started_by: str) -> bool:
    """Lane policy: the lane's roles; a task without a lane goes to whoever started the instance."""
    if lane is None:
        return actor.username == started_by
    return bool(roles_for_lane(lane) & actor.roles)
