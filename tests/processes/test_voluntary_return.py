"""Assisted voluntary return: the request, the risk and needs assessment, the call to the return partner
through the outbox (faked with httpx.MockTransport), then departure — or the client cancels."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
from casekit import World, admit, advance, case_data, complete, instance, open_tasks, outbox, task, world
from support import FakeClock

from services.context import Services
from services.instances import get_instance
from services.messages import deliver_message
from services.outbox import run_outbox


class Partner:
    """The return partner's endpoint: records requests, answers 201 with its reference."""

    def __init__(self, failures: int = 0) -> None:
        self.requests: list[httpx.Request] = []
        self.failures = failures

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) <= self.failures:
            return httpx.Response(503)
        return httpx.Response(201, json={"partner_ref": "IOM-7", "status": "accepted"})


@pytest.fixture
def partner() -> Partner:
    return Partner(failures=1)


@pytest.fixture
def w(svc: Services, clock: FakeClock, partner: Partner) -> World:
    return world(replace(svc, http_transport=httpx.MockTransport(partner)), clock)


def request_return(w: World, case_id: int) -> None:
    run_outbox(w.svc)  # the outbound messages so far (notify_referrer) are handed on first
    deliver_message(w.svc, w.caseworker, "return_requested", {"requested_on": "2026-03-02"}, case_id=case_id)
    complete(
        w,
        w.caseworker,
        case_id,
        "register_return_request",
        {
            "return_request": {
                "requested_on": "2026-03-02",
                "destination_country": "NG",
                "free_will_confirmed": True,
                "accompanying_children": 1,
            }
        },
    )
    complete(
        w,
        w.caseworker,
        case_id,
        "return_risk_assessment",
        {"return_assessment": {"risk_level": "low", "re_trafficking_risk": False, "safe_to_return": True}},
    )


def test_return_completed_ends_the_client_relationship(w: World, partner: Partner) -> None:
    case_id = admit(w)
    request_return(w, case_id)
    assert "send_return_request" in instance(w, case_id).active_elements
    assert run_outbox(w.svc) == 1  # 503: retried later with the same idempotency key
    w.clock.advance(seconds=30)
    assert run_outbox(w.svc) == 1
    (item,) = outbox(w, "return_partner_request")
    assert item.status == "done" and item.attempts == 2
    assert {r.headers["Idempotency-Key"] for r in partner.requests} == {item.idempotency_key}
    body = json.loads(partner.requests[-1].content)
    assert body == {
        "case_reference": "AUT-2026-000001",
        "destination": "NG",
        "requested_on": "2026-03-02",
        "travellers": 2,
        "escort_needed": False,
    }  # what the return needs, nothing else about the case
    assert task(w, case_id, "confirm_departure").lane == "Caseworker"
    complete(w, w.caseworker, case_id, "confirm_departure", {"departed_on": "2026-03-20"})
    data = case_data(w, case_id)
    assert (data["return_outcome"], data["exit_reason"], data["exited_on"]) == (
        "departed",
        "voluntary_return",
        "2026-03-20",
    )
    assert data["partner_reply"] == {"partner_ref": "IOM-7", "status": "accepted"}
    assert (data["case_status"], data["case_outcome"]) == ("closed", "exited")
    assert instance(w, case_id).status == "completed"


def test_the_client_cancels_and_stays_a_client(w: World) -> None:
    case_id = admit(w)
    request_return(w, case_id)
    run_outbox(w.svc)
    w.clock.advance(seconds=30)
    run_outbox(w.svc)
    assert set(open_tasks(w, case_id)) == {"confirm_departure"}
    deliver_message(
        w.svc, w.caseworker, "return_cancelled", {"date": "2026-03-10", "reason": "changed mind"}, case_id=case_id
    )
    data = case_data(w, case_id)
    assert (data["return_outcome"], data["return_cancelled_on"], data["case_status"]) == (
        "cancelled",
        "2026-03-10",
        "client",
    )
    assert data["exit_reason"] is None and data["return_request"]["destination_country"] == "NG"
    assert open_tasks(w, case_id) == {} and instance(w, case_id).active_elements == ["await_client"]
    assert advance(w, days=190) == 1 and set(open_tasks(w, case_id)) == {"review_need"}  # reviews go on


def test_the_client_cancels_before_the_partner_answers(w: World) -> None:
    case_id = admit(w)
    request_return(w, case_id)
    deliver_message(w.svc, w.caseworker, "return_cancelled", {"reason": "changed mind"}, case_id=case_id)
    assert case_data(w, case_id)["return_outcome"] == "cancelled"
    assert instance(w, case_id).active_elements == ["await_client"]


def test_no_return_when_it_is_not_safe(w: World) -> None:
    case_id = admit(w)
    deliver_message(w.svc, w.caseworker, "return_requested", {}, case_id=case_id)
    complete(
        w,
        w.caseworker,
        case_id,
        "register_return_request",
        {"return_request": {"requested_on": "2026-03-02", "destination_country": "NG", "free_will_confirmed": True}},
    )
    complete(
        w,
        w.caseworker,
        case_id,
        "return_risk_assessment",
        {"return_assessment": {"risk_level": "high", "re_trafficking_risk": True, "safe_to_return": False}},
    )
    assert outbox(w, "return_partner_request") == []
    assert case_data(w, case_id)["return_outcome"] == "not_arranged"
    assert get_instance(w.svc, w.supervisor, instance(w, case_id).id).active_elements == ["await_client"]


def test_a_cancelled_return_does_not_break_the_pending_partner_call(w: World) -> None:
    case_id = admit(w)
    request_return(w, case_id)
    deliver_message(w.svc, w.caseworker, "return_cancelled", {}, case_id=case_id)
    for _ in range(3):  # the call was pending (and failing once) when the client cancelled
        w.clock.advance(minutes=5)
        run_outbox(w.svc)
    info = get_instance(w.svc, w.supervisor, instance(w, case_id).id)
    assert (info.status, info.active_elements, info.incidents) == ("running", ["await_client"], [])
