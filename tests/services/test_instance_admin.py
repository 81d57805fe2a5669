"""A supervisor's actions on instances, each in the history with who, when and why; and the
instance view's markers and history per role."""

from __future__ import annotations

import pytest
from monitoring_kit import deploy_flow, person, start_flow
from support import OWNER, FakeClock, script_process
from support_api import access_rows, open_task

from services.context import Services
from services.deploy import deploy
from services.errors import Conflict, Forbidden, InvalidInput
from services.instance_admin import cancel_instance, reassign_task, resume_instance, retry, suspend_instance
from services.instances import get_instance, start_instance
from services.monitoring_instance import diagram_xml, get_instance_view
from services.tasks import claim, complete_task
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, MessageSubscription


def _events(svc: Services, instance_id: int) -> list[AuditEvent]:
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.query(AuditEvent).filter(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))


def test_suspend_holds_timers_and_tasks_until_resumed(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    sue = person(svc, "sue", ["supervisor"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    carl = person(svc, "carl", ["caseworker"], team="Helsinki")
    _case, instance = start_flow(svc, "AUT-2026-000001")
    complete_task(svc, ida, open_task(svc, instance, "register"), {"note": "x"})
    review = open_task(svc, instance, "review")

    with pytest.raises(InvalidInput):
        suspend_instance(svc, sue, instance, "no")  # a reason of a few words is required
    with pytest.raises(Forbidden):
        suspend_instance(svc, carl, instance, "because I can")
    assert suspend_instance(svc, sue, instance, "Client in hospital, waiting") == "suspended"
    with pytest.raises(Conflict):
        suspend_instance(svc, sue, instance, "again, for the record")
    with pytest.raises(Conflict):
        complete_task(svc, carl, review, {"note": "done"})
    clock.advance(days=11)  # past reflection_end_at: the timer would fire, but not while suspended
    assert fire_due_timers(svc) == 0
    assert get_instance(svc, sue, instance).active_elements == ["review", "period_over"]

    assert resume_instance(svc, sue, instance, "Client is back") == "running"
    with pytest.raises(Conflict):
        resume_instance(svc, sue, instance, "not suspended any more")
    assert fire_due_timers(svc) == 1
    assert get_instance(svc, sue, instance).status == "completed"
    events = [(e.actor, e.action, e.details.get("reason"), e.at) for e in _events(svc, instance)]
    assert ("sue", "instance_suspended", "Client in hospital, waiting", clock.now.replace(day=2)) in [
        (a, b, c, d.replace(day=2)) for a, b, c, d in events
    ]
    assert ("sue", "instance_resumed", "Client is back") in [(a, b, c) for a, b, c, _d in events]


def test_cancel_ends_the_instance_and_closes_its_work(svc: Services) -> None:
    deploy_flow(svc)
    sue = person(svc, "sue", ["supervisor"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    _case, instance = start_flow(svc, "AUT-2026-000001")
    complete_task(svc, ida, open_task(svc, instance, "register"), {"note": "x"})
    review = open_task(svc, instance, "review")

    assert cancel_instance(svc, sue, instance, "Duplicate of AUT-2026-000002") == "cancelled"
    info = get_instance(svc, sue, instance)
    assert (info.status, info.active_elements, info.next_timer_at) == ("cancelled", [], None)
    assert info.completed_at is not None and info.open_tasks == []
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.get(HumanTask, review).status == "cancelled"  # type: ignore[union-attr]
        assert uow.session.query(MessageSubscription).filter_by(instance_id=instance).count() == 0
    cancelled = next(e for e in _events(svc, instance) if e.action == "instance_cancelled")
    assert cancelled.actor == "sue" and cancelled.details["reason"] == "Duplicate of AUT-2026-000002"
    assert cancelled.details["active_elements"] == ["review", "period_over"]
    with pytest.raises(Conflict):
        cancel_instance(svc, sue, instance, "once more, to be sure")
    with pytest.raises(Conflict):
        suspend_instance(svc, sue, instance, "cannot hold what ended")


def test_reassign_and_retry_log_the_reason(svc: Services) -> None:
    deploy_flow(svc)
    deploy(svc, OWNER, script_process("broken", "x = 1 / 0"))
    sue = person(svc, "sue", ["supervisor"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    person(svc, "ina", ["intake"], team="Helsinki")
    _case, instance = start_flow(svc, "AUT-2026-000001")
    register = open_task(svc, instance, "register")
    claim(svc, ida, register)

    task = reassign_task(svc, sue, register, "ina", "Ida is on leave")
    assert task.assignee == "ina"
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.query(AuditEvent).filter(AuditEvent.task_id == register).order_by(AuditEvent.id).all()
        assert [(r.action, r.actor) for r in rows][-2:] == [("task_assigned", "sue"), ("action_reason", "sue")]
        assert rows[-1].details == {"for": "task_assigned", "reason": "Ida is on leave"}
        assert rows[-1].instance_id == instance
    with pytest.raises(InvalidInput):
        reassign_task(svc, sue, register, "nobody-here", "")

    broken = start_instance(svc, OWNER, "broken", {})
    incident = broken.incidents[0]["id"]
    suspend_instance(svc, sue, broken.id, "Looking at the script first")
    with pytest.raises(Conflict):
        retry(svc, sue, incident, "try it")
    resume = resume_instance(svc, sue, broken.id, "Script looked at")
    assert resume == "error"  # the incident is still open
    assert retry(svc, sue, incident, "Retry after the fix") == "error"  # the script still divides by zero
    actions = [(e.action, e.details.get("reason")) for e in _events(svc, broken.id)]
    assert ("incident_retried", None) in actions and ("action_reason", "Retry after the fix") in actions


def test_the_instance_view_marks_elements_and_shows_data_only_to_supervisors(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    sue = person(svc, "sue", ["supervisor"])
    olga = person(svc, "olga", ["process_owner"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    carl = person(svc, "carl", ["caseworker"], team="Helsinki")
    case_id, instance = start_flow(svc, "AUT-2026-000001")
    clock.advance(minutes=5)
    complete_task(svc, ida, open_task(svc, instance, "register"), {"note": "Called the police"})

    view = get_instance_view(svc, sue, instance)
    assert view.markers["active"] == ["review", "period_over"]
    assert view.markers["completed"][:3] == ["start", "register", "check"]
    assert view.markers["incident"] == [] and view.diagram and view.outside_diagram == []
    assert view.case_reference == "AUT-2026-000001" and view.element_names["review"] == "Review the case"
    steps = [(h.action, h.element_id) for h in view.history]
    assert steps[:4] == [
        ("instance_started", None),
        ("task_opened", "register"),
        ("task_completed", "register"),
        ("task_opened", "review"),
    ]
    completed = next(h for h in view.history if h.action == "task_completed")
    assert completed.actor == "ida" and completed.data == {"note": "Called the police"}
    assert [(r.username, r.what) for r in access_rows(svc, case_id=case_id)] == [
        ("sue", f"instance {instance} history")
    ]

    owners = get_instance_view(svc, olga, instance)
    assert owners.markers == view.markers and owners.case_id is None and owners.case_reference is None
    assert all(h.data is None for h in owners.history)
    assert next(h for h in owners.history if h.action == "task_completed").summary == ""
    assert len(access_rows(svc, case_id=case_id)) == 1  # no case data read, nothing logged

    name, xml = diagram_xml(svc, olga, instance)
    assert name == "monitoring_flow.bpmn" and b"bpmndi:BPMNDiagram" in xml
    with pytest.raises(Forbidden):
        get_instance_view(svc, carl, instance)
    with pytest.raises(Forbidden):
        diagram_xml(svc, carl, instance)


def test_the_instance_view_marks_an_incident(svc: Services) -> None:
    deploy(svc, OWNER, script_process("broken", "x = 1 / 0"))
    sue = person(svc, "sue", ["supervisor"])
    info = start_instance(svc, OWNER, "broken", {})
    view = get_instance_view(svc, sue, info.id)
    assert view.status == "error" and view.markers["incident"] == ["script"]
    assert view.incidents[0].kind == "script_error" and view.case_id is None
    assert not view.diagram  # drawn without DI: the page says so instead of a blank canvas
