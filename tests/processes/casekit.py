"""Drive the real assistance-system processes through the services layer, the way people would.

A case starts from a referral (services.referrals.submit_referral starts `client_case`); intake,
caseworkers and deciders complete their tasks with form data; the fake clock moves time and
`fire_due_timers` lets the timers fire. Every step is its own transaction on the test database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from support import OWNER, ROOT, SUPERVISOR, FakeClock

from cli.main import collect_files
from services.context import Actor, Services
from services.deploy import deploy
from services.referrals import parse_referral, submit_referral
from services.runtime import restore
from services.tasks import complete_task
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import Case, HumanTask, OutboxItem, ProcessInstance, Team

TEAM = "Helsinki"


def model_files() -> list[Any]:
    return collect_files([str(ROOT / "bpmn"), str(ROOT / "forms" / "schemas")])


def referral_doc(**changes: Any) -> dict[str, Any]:
    """A complete adult referral (DESIGN.md section 4); keyword arguments replace top-level fields."""
    doc: dict[str, Any] = {
        "referrer": {"type": "police", "organisation": "Helsinki police", "name": "Officer", "phone": "+358 40 1"},
        "client": {
            "given_names": "Maria",
            "family_name": "Example",
            "birth_date": "1994-05-17",
            "gender": "female",
            "nationalities": ["NG"],
            "languages": ["en"],
            "interpreter_needed": False,
        },
        "residence_status": "residence_permit",
        "has_municipality_of_residence": True,
        "wellbeing_county": "Helsinki",
        "client_category": "presumed_victim",
        "description": "Worked without pay in a restaurant; passport taken.",
        "suspected_exploitation": ["forced_labour"],
        "exploited_in": "finland",
        "urgent": False,
        "consent": {"given": True, "date": "2026-03-01", "method": "signed_form"},
    }
    doc.update(changes)
    return doc


@dataclass
class World:
    """Deployed models, a team, and people with the roles the lanes need (all in the team)."""

    svc: Services
    clock: FakeClock
    team_id: int
    intake: Actor
    caseworker: Actor
    caseworker2: Actor
    decider: Actor
    decider2: Actor
    supervisor: Actor = SUPERVISOR
    cases: dict[int, int] = field(default_factory=dict)  # case id -> client_case instance id


def world(svc: Services, clock: FakeClock) -> World:
    deploy(svc, OWNER, model_files(), change_note="tests")
    with UnitOfWork(svc.sessions, write=True) as uow:
        team = Team(name=TEAM)
        uow.session.add(team)
        uow.session.flush()
        team_id = team.id
        uow.commit()

    def person(name: str, *roles: str) -> Actor:
        return Actor(name, frozenset(roles), team_id=team_id)

    return World(
        svc,
        clock,
        team_id,
        intake=person("ida", "intake"),
        caseworker=person("carl", "caseworker"),
        caseworker2=person("cecilia", "caseworker"),
        decider=person("dora", "decider"),
        decider2=person("dan", "decider"),
    )


def refer(w: World, **changes: Any) -> int:
    """Submit a referral (as intake) and give the case to the team; returns the case id."""
    receipt = submit_referral(w.svc, w.intake, parse_referral(referral_doc(**changes)))
    with UnitOfWork(w.svc.sessions, write=True) as uow:
        case = uow.session.get(Case, receipt.case_id)
        assert case is not None
        case.team_id = w.team_id  # the services layer does not assign teams yet (see the report)
        instance_id = uow.session.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.case_id == case.id, ProcessInstance.process_id == "client_case"
            )
        ).one()
        uow.commit()
    w.cases[receipt.case_id] = instance_id
    return receipt.case_id


def open_tasks(w: World, case_id: int) -> dict[str, HumanTask]:
    with UnitOfWork(w.svc.sessions) as uow:
        rows = uow.session.scalars(
            select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open").order_by(HumanTask.id)
        ).all()
        return {r.bpmn_id: r for r in rows}


def task(w: World, case_id: int, bpmn_id: str) -> HumanTask:
    tasks = open_tasks(w, case_id)
    assert bpmn_id in tasks, f"{bpmn_id} is not open; open: {sorted(tasks)}"
    return tasks[bpmn_id]


def complete(w: World, actor: Actor, case_id: int, bpmn_id: str, data: dict[str, Any]) -> None:
    result = complete_task(w.svc, actor, task(w, case_id, bpmn_id).id, data)
    assert result.incident is None, result.incident


def instance(w: World, case_id: int) -> ProcessInstance:
    with UnitOfWork(w.svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, w.cases[case_id])
        assert row is not None
        return row


def case_data(w: World, case_id: int) -> dict[str, Any]:
    """The instance's data: a finished case's final data, else that of its latest top-level step."""
    with UnitOfWork(w.svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, w.cases[case_id])
        assert row is not None
        return restore(w.svc, uow, row).snapshot().data


def task_data(w: World, case_id: int, bpmn_id: str) -> dict[str, Any]:
    """The data an open task sees (inside called processes too)."""
    with UnitOfWork(w.svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, w.cases[case_id])
        assert row is not None
        return restore(w.svc, uow, row).task(task(w, case_id, bpmn_id).id, with_data=True).data


def state_depth(w: World, case_id: int) -> int:
    return instance(w, case_id).tree_depth


def advance(w: World, days: float) -> int:
    """Move the clock and fire what fell due; returns how many instances moved."""
    return fire_due_timers(w.svc, now=w.clock.advance(days=days))


def advance_to(w: World, day: str, hour: int = 1) -> int:
    """Move the clock to `hour`:00 UTC of an ISO date (never backwards) and fire what fell due."""
    target = w.clock.now.replace(
        year=int(day[:4]), month=int(day[5:7]), day=int(day[8:10]), hour=hour, minute=0, second=0
    )
    assert target >= w.clock.now, f"{day} is in the past"
    return fire_due_timers(w.svc, now=w.clock.advance(seconds=(target - w.clock.now).total_seconds()))


def outbox(w: World, name: str | None = None) -> list[OutboxItem]:
    with UnitOfWork(w.svc.sessions) as uow:
        query = select(OutboxItem).order_by(OutboxItem.id)
        if name is not None:
            query = query.where(OutboxItem.name == name)
        return list(uow.session.scalars(query).all())


def today(w: World) -> str:
    return w.clock.now.date().isoformat()


def day_after(w: World, days: int) -> str:
    return (w.clock.now.date() + timedelta(days=days)).isoformat()


def iso(d: date) -> str:
    return d.isoformat()


# --- the stages, with ordinary form data ---------------------------------------------------------
def accept_referral(w: World, case_id: int) -> None:
    complete(w, w.intake, case_id, "check_referral", {"referral_check": "complete"})


def record_consent(w: World, case_id: int, **consent: Any) -> None:
    record = {"given": True, "date": today(w), "method": "signed_form", "share_with": ["migri"], **consent}
    complete(w, w.intake, case_id, "record_consent", {"consent": record})


def assess(
    w: World,
    case_id: int,
    *,
    needs: list[str] | None = None,
    residence_status: str = "residence_permit",
    municipality: bool = True,
    needs_assistance: bool = True,
    forms: list[dict[str, Any]] | None = None,
) -> None:
    complete(
        w,
        w.caseworker,
        case_id,
        "initial_assessment",
        {"interview": {"held_on": today(w), "in_person": True, "interpreter_used": False}, "safety_risk": "low"},
    )
    complete(
        w,
        w.caseworker,
        case_id,
        "assess_exploitation",
        {
            "exploitation_forms": forms
            or [{"form": "forced_labour", "primary": True}, {"form": "benefit_fraud", "primary": False}],
            "exploited_in": "finland",
        },
    )
    complete(
        w,
        w.caseworker,
        case_id,
        "service_need_assessment",
        {
            "needs_assistance": needs_assistance,
            "service_needs": needs if needs is not None else ["advice", "legal_aid"],
            "residence_status": residence_status,
            "has_municipality_of_residence": municipality,
            "client_category": "presumed_victim",
        },
    )


def decide(
    w: World, case_id: int, outcome: str = "admitted", ground: str | None = None, *, notified_on: str | None = None
) -> None:
    complete(
        w,
        w.caseworker,
        case_id,
        "draft_decision",
        {
            "decision": {"outcome": outcome, "rejection_ground": ground, "reasoning": "Assessed as described."},
            "letter_language": "en",
        },
    )
    complete(w, w.decider, case_id, "approve_decision", {"approval": "approved"})
    complete(
        w,
        w.caseworker,
        case_id,
        "notify_decision",
        {"notified_on": notified_on or today(w), "notification_method": "in_person"},
    )


def start_assistance(w: World, case_id: int) -> None:
    complete(
        w,
        w.caseworker,
        case_id,
        "start_assistance",
        {"service_needs": ["advice", "legal_aid"], "assistance_started_on": today(w)},
    )


def admit(w: World, **referral_changes: Any) -> int:
    """A case carried from the referral to an admitted client with the plan in effect."""
    case_id = refer(w, **referral_changes)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    assess(w, case_id)
    decide(w, case_id)
    start_assistance(w, case_id)
    return case_id


def outbound_payloads(w: World, name: str) -> list[Any]:
    return [json.loads(json.dumps(item.payload))["payload"] for item in outbox(w, name)]
