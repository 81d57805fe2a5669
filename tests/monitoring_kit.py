"""Helpers for the monitoring, instance-admin and statistics-report tests: a drawn process
(tests/data/monitoring_flow) started on cases, users, and anonymous statistics facts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from support import OWNER, files_of
from support_api import team_id

from services.context import SYSTEM, Actor, Services
from services.deploy import deploy, latest_version
from services.instances import start_in
from services.uow import UnitOfWork
from services.users import actor_of, add_user
from store.models import Case, StatDecision, StatExploitation, StatRecord, User

FLOW = "monitoring_flow"
DATES = {"decision_due_on": "2026-03-10", "reflection_end_at": "2026-03-12T00:00:00+00:00"}


def deploy_flow(svc: Services) -> None:
    deploy(svc, OWNER, files_of(FLOW))


def person(svc: Services, name: str, roles: list[str], team: str | None = None) -> Actor:
    add_user(svc, name, roles, password=None, team=team)
    with UnitOfWork(svc.sessions) as uow:
        return actor_of(uow.session.scalars(select(User).where(User.username == name)).one())


def start_flow(
    svc: Services,
    reference: str,
    *,
    team: str | None = "Helsinki",
    data: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """A case with a monitoring_flow instance waiting at `register`; returns (case id, instance id)."""
    tid = team_id(svc, team) if team else None
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = Case(reference=reference, team_id=tid, status="open", facts=facts or {}, opened_at=svc.now())
        uow.session.add(case)
        uow.session.flush()
        version = latest_version(uow, FLOW)
        assert version is not None, "deploy the monitoring flow first"
        info = start_in(uow, svc, SYSTEM, version, {**DATES, **(data or {})}, case_id=case.id)
        uow.commit()
        return case.id, info.id


def stat_person(
    svc: Services,
    *,
    received: date,
    decided: date | None = None,
    outcome: str = "admitted",
    **record: Any,
) -> int:
    """One anonymous statistics record (and its decision)."""
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = StatRecord(received_on=received, nationalities=record.pop("nationalities", []), **record)
        if decided is not None and outcome == "admitted":
            row.admitted_on = decided
        uow.session.add(row)
        uow.session.flush()
        if decided is not None:
            ground = "no_need" if outcome == "rejected" else None
            uow.session.add(
                StatDecision(record_id=row.id, decided_on=decided, outcome=outcome, rejection_ground=ground)
            )
        uow.commit()
        return row.id


def exploitation(svc: Services, record_id: int, form: str, primary: bool) -> None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.add(StatExploitation(record_id=record_id, form=form, primary=primary))
        uow.commit()
