"""deploy -> start -> complete -> timer (fake clock) -> message -> end, through the services layer,
on SQLite and PostgreSQL. Every step loads the instance from the database and saves it back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import CASEWORKER, INTAKE, OWNER, SUPERVISOR, FakeClock, files_of

from services.context import Actor, Services
from services.deploy import deploy
from services.errors import Conflict, Forbidden, InvalidInput
from services.instances import get_instance, start_instance
from services.messages import deliver_message
from services.tasks import claim, complete_task, get_task, save_draft, unclaim
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, MessageSubscription, ProcessInstance, ProcessVersion


def open_tasks(svc: Services, instance_id: int) -> dict[str, HumanTask]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        ).all()
        return {r.bpmn_id: r for r in rows}


def stored_state(svc: Services, instance_id: int) -> dict:  # type: ignore[type-arg]
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        return json.loads(row.state_json)


def test_full_lifecycle(svc: Services, clock: FakeClock) -> None:
    result = deploy(svc, OWNER, files_of("case_flow"), change_note="first")
    assert [(v.process_id, v.version, v.created) for v in result.versions] == [("case_flow", 1, True)]

    info = start_instance(svc, OWNER, "case_flow", {"received_on": "2026-03-01"})
    assert info.status == "running" and info.active_elements == ["register"]
    assert "spec" not in stored_state(svc, info.id)
    register = open_tasks(svc, info.id)["register"]
    assert register.lane == "Intake" and register.due_at == clock.now + timedelta(days=2)

    detail = get_task(svc, INTAKE, register.id)
    assert detail.schema is not None and detail.schema["title"] == "Register the case"
    # current values, limited to the form's own keys: start data and the preScript's default
    assert detail.data == {"received_on": "2026-03-01", "urgent": False}

    with pytest.raises(InvalidInput) as bad:
        complete_task(svc, INTAKE, register.id, {"client_name": "", "received_on": "not a date"})
    assert set(bad.value.errors) == {"client_name", "received_on"}
    with pytest.raises(Forbidden):
        complete_task(svc, CASEWORKER, register.id, {"client_name": "A", "received_on": "2026-03-01"})

    done = complete_task(svc, INTAKE, register.id, {"client_name": "Anna", "received_on": "2026-03-01", "urgent": True})
    assert done.incident is None
    tasks = open_tasks(svc, info.id)
    assert list(tasks) == ["assess"]
    assess = tasks["assess"]
    assert assess.due_at is not None and assess.due_at.date().isoformat() == "2026-03-31"  # from case data
    assert assess.priority == 10  # urgent

    with pytest.raises(Conflict):  # the same form submitted twice
        complete_task(svc, INTAKE, register.id, {"client_name": "Anna", "received_on": "2026-03-01"})

    clock.advance(days=3)
    complete_task(svc, CASEWORKER, assess.id, {"risk_level": 4, "notes": "interpreter needed"})
    inst = get_instance(svc, SUPERVISOR, info.id)
    assert inst.active_elements == ["wait_gw"]
    assert inst.next_timer_at == clock.now + timedelta(days=14)

    assert fire_due_timers(svc, now=clock.advance(days=1)) == 0  # not due yet
    deliver_message(svc, SUPERVISOR, "police_report_filed", {"ref": "PR-9"}, instance_id=info.id)
    inst = get_instance(svc, SUPERVISOR, info.id)
    assert inst.status == "completed" and inst.completed_at is not None
    with UnitOfWork(svc.sessions) as uow:
        actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == [
            "version_deployed",
            "instance_started",
            "task_completed",
            "task_completed",
            "message_delivered",
        ]
        completed = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "task_completed")).first()
        assert completed is not None and completed.actor == INTAKE.username
        assert completed.details["changes"]["client_name"] == {"old": None, "new": "Anna"}
        assert uow.session.scalar(select(func.count()).select_from(MessageSubscription)) == 0


def test_boundary_timer_fires_through_the_worker(svc: Services, clock: FakeClock) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    info = start_instance(svc, OWNER, "case_flow", {})
    register = open_tasks(svc, info.id)["register"]
    complete_task(svc, INTAKE, register.id, {"client_name": "A", "received_on": "2026-03-01"})
    assess = open_tasks(svc, info.id)["assess"]
    assert fire_due_timers(svc, now=clock.advance(days=29)) == 0
    assert fire_due_timers(svc, now=clock.advance(days=2)) == 1
    tasks = open_tasks(svc, info.id)
    assert list(tasks) == ["escalate"] and tasks["escalate"].lane == "Supervisor"
    with UnitOfWork(svc.sessions) as uow:
        old = uow.session.get(HumanTask, assess.id)
        assert old is not None and old.status == "cancelled"
    with pytest.raises(Conflict):  # the interrupted task's form is stale now
        complete_task(svc, CASEWORKER, assess.id, {"risk_level": 1})


def test_running_instance_stays_on_its_version(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    old = start_instance(svc, OWNER, "case_flow", {})
    again = deploy(svc, OWNER, files_of("case_flow"))
    assert [v.created for v in again.versions] == [False]  # identical sources: no new version
    files = files_of("case_flow")
    changed = [
        f
        if f.name != "case_flow.bpmn"
        else type(f)(
            f.name, f.content.replace(b'name="Assess the situation"', b'name="Assess the client\'s situation"')
        )
        for f in files
    ]
    v2 = deploy(svc, OWNER, changed, change_note="renamed a task")
    assert [(v.version, v.created) for v in v2.versions] == [(2, True)]
    new = start_instance(svc, OWNER, "case_flow", {})
    assert (get_instance(svc, OWNER, old.id).version, get_instance(svc, OWNER, new.id).version) == (1, 2)
    register = open_tasks(svc, old.id)["register"]
    complete_task(svc, INTAKE, register.id, {"client_name": "A", "received_on": "2026-03-01"})
    assert open_tasks(svc, old.id)["assess"].title == "Assess the situation"  # still version 1's model
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessVersion)) == 2


def test_claim_unclaim_and_drafts(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    info = start_instance(svc, OWNER, "case_flow", {})
    task = open_tasks(svc, info.id)["register"]
    other = Actor("ilse", frozenset({"intake"}))
    assert claim(svc, INTAKE, task.id).assignee == INTAKE.username
    with pytest.raises(Conflict):
        claim(svc, other, task.id)
    with pytest.raises(Conflict):
        save_draft(svc, other, task.id, {"client_name": "X"})
    save_draft(svc, INTAKE, task.id, {"client_name": "Half-typed"})
    assert get_task(svc, INTAKE, task.id).data["client_name"] == "Half-typed"
    assert get_task(svc, INTAKE, task.id).is_draft
    with pytest.raises(InvalidInput):
        save_draft(svc, INTAKE, task.id, {"lane_owners": {"Intake": ["mallory"]}})
    with pytest.raises(Forbidden):
        unclaim(svc, other, task.id)
    unclaim(svc, INTAKE, task.id)
    claim(svc, other, task.id)
    with pytest.raises(Conflict):
        complete_task(svc, INTAKE, task.id, {"client_name": "A", "received_on": "2026-03-01"})


def test_form_keys_outside_the_form_are_refused(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    info = start_instance(svc, OWNER, "case_flow", {})
    task = open_tasks(svc, info.id)["register"]
    with pytest.raises(InvalidInput) as err:
        complete_task(
            svc, INTAKE, task.id, {"client_name": "A", "received_on": "2026-03-01", "lane_owners": {"Intake": ["x"]}}
        )
    assert "lane_owners" in str(err.value.errors) or "lane_owners" in str(err.value)
    assert "register" in open_tasks(svc, info.id)  # nothing was written


def test_decider_cannot_approve_own_draft(svc: Services) -> None:
    both = Actor("dora", frozenset({"caseworker", "decider"}))
    other = Actor("dan", frozenset({"decider"}))
    deploy(svc, OWNER, files_of("four_eyes"))
    info = start_instance(svc, OWNER, "four_eyes", {})
    complete_task(svc, both, open_tasks(svc, info.id)["draft"].id, {"note": "admit"})
    approve = open_tasks(svc, info.id)["approve"]
    with pytest.raises(Forbidden, match="presenter-decider"):
        complete_task(svc, both, approve.id, {"note": "approved"})
    assert "approve" in open_tasks(svc, info.id)  # nothing was written
    complete_task(svc, other, approve.id, {"note": "approved"})
    assert get_instance(svc, OWNER, info.id).status == "completed"


def test_a_suspended_instance_refuses_completions(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    info = start_instance(svc, OWNER, "case_flow", {})
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(ProcessInstance, info.id)
        assert row is not None
        row.status = "suspended"
        uow.commit()
    with pytest.raises(Conflict, match="suspended"):
        complete_task(
            svc, INTAKE, open_tasks(svc, info.id)["register"].id, {"client_name": "A", "received_on": "2026-03-01"}
        )
