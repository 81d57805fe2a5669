"""Helpers for the JSON API tests: users with bearer tokens, cases with running processes, referrals."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from support import OWNER, files_of

from services.context import SYSTEM, Services
from services.deploy import deploy, latest_version
from services.instances import start_in
from services.tasks import complete_task
from services.uow import UnitOfWork
from services.users import actor_of, add_user, issue_token
from store.models import AccessLogEntry, AuditEvent, Case, HumanTask, Team, User

Headers = dict[str, str]

REFERRAL: dict[str, Any] = {
    "referrer": {
        "type": "police",
        "organisation": "Helsinki police",
        "name": "Officer Virtanen",
        "phone": "+358 40 123 4567",
        "email": "virtanen@example.fi",
    },
    "client": {
        "given_names": "Anna Maria",
        "family_name": "Example",
        "birth_date": "1990-05-17",
        "gender": "female",
        "nationalities": ["NG"],
        "languages": ["en", "yo"],
        "interpreter_needed": True,
    },
    "residence_status": "asylum_seeker",
    "has_municipality_of_residence": False,
    "reception_centre": "Helsinki reception centre",
    "client_category": "presumed_victim",
    "description": "Worked without pay in a restaurant; passport taken.",
    "suspected_exploitation": ["forced_labour"],
    "exploited_in": "finland",
    "urgent": False,
    "consent": {"given": True, "date": "2026-03-01", "method": "signed_form"},
}


def referral(**changes: Any) -> dict[str, Any]:
    """A valid referral document with top-level `changes`."""
    doc = copy.deepcopy(REFERRAL)
    doc.update(changes)
    return doc


def user(svc: Services, name: str, roles: list[str], team: str | None = None) -> Headers:
    """A user with `roles` (in `team`) and the bearer header of a fresh token."""
    add_user(svc, name, roles, password=None, team=team)
    return {"Authorization": f"Bearer {issue_token(svc, name)}"}


def team_id(svc: Services, name: str) -> int:
    with UnitOfWork(svc.sessions, write=True) as uow:
        team = uow.session.scalars(select(Team).where(Team.name == name)).first()
        if team is None:
            team = Team(name=name)
            uow.session.add(team)
            uow.session.flush()
        uow.commit()
        return team.id


def deploy_case_flow(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))


def case_with_flow(
    svc: Services, team: str | None, *, reference: str, data: dict[str, Any] | None = None
) -> tuple[int, int]:
    """A case owned by `team` with a case_flow instance at its first task (Intake: `register`)."""
    tid = team_id(svc, team) if team else None
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = Case(
            reference=reference,
            team_id=tid,
            status="open",
            facts={"client": {"given_names": "Test", "family_name": reference}},
            opened_at=svc.now(),
        )
        uow.session.add(case)
        uow.session.flush()
        version = latest_version(uow, "case_flow")
        assert version is not None, "deploy case_flow first"
        info = start_in(uow, svc, SYSTEM, version, {"received_on": "2026-03-01", **(data or {})}, case_id=case.id)
        uow.commit()
        return case.id, info.id


def open_task(svc: Services, instance_id: int, bpmn_id: str) -> str:
    with UnitOfWork(svc.sessions) as uow:
        found = uow.session.scalars(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
            )
        ).first()
        assert found is not None, f"no open {bpmn_id} task"
        return found


def actor(svc: Services, name: str) -> Any:
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.scalars(select(User).where(User.username == name)).one()
        return actor_of(row)


def to_assess(svc: Services, instance_id: int, intake_name: str) -> str:
    """Complete `register` as `intake_name`; returns the id of the Caseworker task `assess`."""
    register = open_task(svc, instance_id, "register")
    complete_task(svc, actor(svc, intake_name), register, {"client_name": "Anna", "received_on": "2026-03-01"})
    return open_task(svc, instance_id, "assess")


def access_rows(svc: Services, **where: Any) -> list[AccessLogEntry]:
    with UnitOfWork(svc.sessions) as uow:
        query = select(AccessLogEntry).order_by(AccessLogEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AccessLogEntry, key) == value)
        return list(uow.session.scalars(query).all())


def audit_actions(svc: Services, task_id: str) -> list[str]:
    with UnitOfWork(svc.sessions) as uow:
        return list(
            uow.session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task_id).order_by(AuditEvent.id))
        )


def task_row(svc: Services, task_id: str) -> HumanTask:
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(HumanTask, task_id)
        assert row is not None
        return row
