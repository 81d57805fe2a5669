"""Service calls through the outbox: retried with back-off, idempotent, an incident when they keep failing.
The return partner is faked at the network edge with httpx.MockTransport."""

from __future__ import annotations

from dataclasses import replace

import httpx
from sqlalchemy import select
from support import OWNER, SUPERVISOR, FakeClock, files_of

from services.context import Services
from services.deploy import deploy
from services.incidents import retry_incident
from services.instance_admin import resume_instance, suspend_instance
from services.instances import get_instance, start_instance
from services.outbox import run_outbox
from services.uow import UnitOfWork
from store.models import HumanTask, Incident, OutboxItem


class FlakyPartner:
    """Answers 503 `failures` times, then 201; records every request."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) <= self.failures:
            return httpx.Response(503, json={"error": "try later"})
        return httpx.Response(201, json={"partner_ref": "IOM-42"})


def _start(svc: Services) -> int:
    deploy(svc, OWNER, files_of("return_call"))
    return start_instance(svc, OWNER, "return_call", {"case_reference": "AUT-2026-7", "destination": "EE"}).id


def _outbox(svc: Services) -> OutboxItem:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalars(select(OutboxItem)).one()


def test_failing_call_is_retried_with_backoff_then_succeeds(svc: Services, clock: FakeClock) -> None:
    partner = FlakyPartner(failures=1)
    svc = replace(svc, http_transport=httpx.MockTransport(partner))
    instance_id = _start(svc)
    assert get_instance(svc, OWNER, instance_id).active_elements == ["send_request"]

    assert run_outbox(svc) == 1  # first attempt: 503
    item = _outbox(svc)
    assert (item.status, item.attempts, item.last_error) == ("pending", 1, item.last_error)
    assert "503" in (item.last_error or "")
    assert run_outbox(svc) == 0  # backing off: not due yet
    clock.advance(seconds=11)
    assert run_outbox(svc) == 1

    item = _outbox(svc)
    assert (item.status, item.attempts, item.result) == ("done", 2, {"partner_ref": "IOM-42"})
    keys = {r.headers["Idempotency-Key"] for r in partner.requests}
    assert keys == {item.idempotency_key}  # the retry carried the same key
    assert partner.requests[0].url == "https://partner.test/api/return-requests"
    with UnitOfWork(svc.sessions) as uow:
        task = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        assert task.bpmn_id == "confirm"


def test_call_that_keeps_failing_becomes_an_incident_and_can_be_retried(svc: Services, clock: FakeClock) -> None:
    partner = FlakyPartner(failures=3)
    svc = replace(svc, http_transport=httpx.MockTransport(partner))
    instance_id = _start(svc)
    for _ in range(3):  # outbox_max_attempts = 3 in the test settings
        run_outbox(svc)
        clock.advance(minutes=5)
    item = _outbox(svc)
    assert item.status == "failed"
    info = get_instance(svc, SUPERVISOR, instance_id)
    assert info.status == "error"
    (incident,) = info.incidents
    assert incident["kind"] == "service_call" and "return_partner_request failed after 3" in incident["message"]

    assert retry_incident(svc, SUPERVISOR, incident["id"]) == "running"
    assert run_outbox(svc) == 1  # the partner is back
    assert _outbox(svc).status == "done"
    info = get_instance(svc, SUPERVISOR, instance_id)
    assert info.active_elements == ["confirm"]
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalars(select(Incident.status)).all() == ["resolved"]


def test_partner_rejection_is_not_retried(svc: Services) -> None:
    svc = replace(svc, http_transport=httpx.MockTransport(lambda r: httpx.Response(400, json={"error": "bad"})))
    _start(svc)
    run_outbox(svc)
    item = _outbox(svc)
    assert (item.status, item.attempts) == ("failed", 1)


def test_network_error_is_retried(svc: Services, clock: FakeClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    svc = replace(svc, http_transport=httpx.MockTransport(refuse))
    _start(svc)
    run_outbox(svc)
    item = _outbox(svc)
    assert (item.status, item.attempts) == ("pending", 1)
    assert "unreachable" in (item.last_error or "")


def _fail_for_good(svc: Services, clock: FakeClock) -> tuple[int, int]:
    instance_id = _start(svc)
    for _ in range(3):
        run_outbox(svc)
        clock.advance(minutes=5)
    (incident,) = get_instance(svc, SUPERVISOR, instance_id).incidents
    return instance_id, incident["id"]


def test_a_retry_does_not_resume_a_suspended_instance(svc: Services, clock: FakeClock) -> None:
    svc = replace(svc, http_transport=httpx.MockTransport(FlakyPartner(failures=3)))
    instance_id, incident_id = _fail_for_good(svc, clock)
    suspend_instance(svc, SUPERVISOR, instance_id, reason="waiting for the police to answer")
    assert retry_incident(svc, SUPERVISOR, incident_id) == "suspended"  # the call is queued again, the hold stays
    assert run_outbox(svc) == 0 and _outbox(svc).status == "pending"  # on hold: the partner is not called
    assert get_instance(svc, SUPERVISOR, instance_id).status == "suspended"
    resume_instance(svc, SUPERVISOR, instance_id, reason="the police answered")
    assert run_outbox(svc) == 1 and _outbox(svc).status == "done"
    assert get_instance(svc, SUPERVISOR, instance_id).active_elements == ["confirm"]


def test_a_retry_answers_its_own_incident_and_the_instance_stays_stopped_by_another(
    svc: Services, clock: FakeClock
) -> None:
    svc = replace(svc, http_transport=httpx.MockTransport(FlakyPartner(failures=99)))
    instance_id, incident_id = _fail_for_good(svc, clock)
    with UnitOfWork(svc.sessions, write=True) as uow:  # a second failed call of the same instance
        first = uow.session.get(Incident, incident_id)
        assert first is not None
        uow.session.add(
            Incident(instance_id=instance_id, case_id=None, kind="service_call", message="other", created_at=clock.now)
        )
        uow.commit()
    assert retry_incident(svc, SUPERVISOR, incident_id) == "error"
    with UnitOfWork(svc.sessions) as uow:
        statuses: dict[int, str] = dict(uow.session.execute(select(Incident.id, Incident.status)).all())
    assert statuses[incident_id] == "resolved" and sorted(statuses.values()) == ["open", "resolved"]
