"""Every process driven over the JSON API, as partner systems and the web front end do: a referral is
posted, people pick their tasks from the inbox and complete them, case actions are messages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from casekit import TEAM, model_files, referral_doc
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import OWNER, FakeClock
from support_api import user

from services.context import Services
from services.deploy import deploy
from services.outbox import run_outbox
from services.uow import UnitOfWork
from store.models import Case, Team
from web.app import create_app


class Api:
    def __init__(self, client: TestClient, svc: Services) -> None:
        self.client, self.svc = client, svc
        deploy(svc, OWNER, model_files())
        self.intake = user(svc, "ida", ["intake"], team=TEAM)
        self.caseworker = user(svc, "carl", ["caseworker"], team=TEAM)
        self.decider = user(svc, "dora", ["decider"], team=TEAM)

    def refer(self, **changes: Any) -> tuple[int, str]:
        r = self.client.post("/api/v1/referrals", json=referral_doc(**changes), headers=self.intake)
        assert r.status_code == 201, r.text
        body = r.json()
        with UnitOfWork(self.svc.sessions, write=True) as uow:  # the team takes the case (see casekit.refer)
            case = uow.session.get(Case, body["case_id"])
            assert case is not None
            case.team_id = uow.session.scalars(select(Team.id).where(Team.name == TEAM)).one()
            uow.commit()
        return body["case_id"], body["reference"]

    def do(self, who: dict[str, str], reference: str, name: str, data: dict[str, Any]) -> None:
        r = self.client.get(f"/api/v1/tasks?scope=team&case_reference={reference}", headers=who)
        assert r.status_code == 200, r.text
        rows = [row for row in r.json() if row["name"] == name]
        assert rows, f"{name} not in the inbox: {[row['name'] for row in r.json()]}"
        detail = self.client.get(f"/api/v1/tasks/{rows[0]['id']}", headers=who)
        assert detail.status_code == 200 and detail.json()["form"]["schema"]["type"] == "object"
        done = self.client.post(f"/api/v1/tasks/{rows[0]['id']}/complete", json={"data": data}, headers=who)
        assert done.status_code == 200, done.text
        assert done.json()["incident"] is None

    def message(self, case_id: int, name: str, payload: dict[str, Any]) -> None:
        r = self.client.post(
            f"/api/v1/cases/{case_id}/messages/{name}", json={"payload": payload}, headers=self.caseworker
        )
        assert r.status_code == 200, r.text

    def case(self, case_id: int) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/cases/{case_id}", headers=self.caseworker)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
def api(svc: Services, clock: FakeClock) -> Iterator[Api]:
    partner = httpx.MockTransport(lambda request: httpx.Response(201, json={"partner_ref": "IOM-9"}))
    svc = replace(svc, http_transport=partner)
    with TestClient(create_app(svc.settings, services=svc)) as client:
        yield Api(client, svc)


def test_every_process_over_the_api(api: Api) -> None:
    # referral: posted by a partner system, checked by intake
    case_id, ref = api.refer(residence_status="undocumented", has_municipality_of_residence=False)
    api.do(api.intake, ref, "check_referral", {"referral_check": "complete"})
    # consent
    consent = {"given": True, "date": "2026-03-02", "method": "signed_form", "share_with": ["migri"]}
    api.do(api.intake, ref, "record_consent", {"consent": consent})
    # assessment
    api.do(api.caseworker, ref, "initial_assessment", {"interview": {"held_on": "2026-03-02"}, "safety_risk": "low"})
    forms = [{"form": "sexual_exploitation", "primary": True}]
    api.do(api.caseworker, ref, "assess_exploitation", {"exploitation_forms": forms, "exploited_in": "both"})
    needs = {
        "needs_assistance": True,
        "service_needs": ["safe_accommodation", "reflection_period"],
        "residence_status": "undocumented",
        "has_municipality_of_residence": False,
        "client_category": "presumed_victim",
    }
    api.do(api.caseworker, ref, "service_need_assessment", needs)
    # decision: drafted, signed by another person, served
    decision = {"outcome": "admitted", "rejection_ground": None, "reasoning": "Presumed victim in need."}
    api.do(api.caseworker, ref, "draft_decision", {"decision": decision, "letter_language": "en"})
    api.do(api.decider, ref, "approve_decision", {"approval": "approved"})
    api.do(api.caseworker, ref, "notify_decision", {"notified_on": "2026-03-02", "notification_method": "in_person"})
    # client_case: the plan in effect
    api.do(
        api.caseworker,
        ref,
        "start_assistance",
        {"service_needs": ["safe_accommodation"], "assistance_started_on": "2026-03-02"},
    )
    # reflection_period: granted, then interrupted
    api.do(api.decider, ref, "grant_reflection_period", {"reflection_start": "2026-03-02", "reflection_days": 60})
    change = {
        "reflection_action": "interrupt",
        "interruption_ground": "public_order_or_security",
        "reflection_change_reason": "Police information.",
    }
    api.do(api.caseworker, ref, "follow_reflection_period", change)
    api.do(api.decider, ref, "decide_reflection_change", {"reflection_change_approved": True})
    # assisted_voluntary_return: requested, assessed, sent to the partner, departed
    api.message(case_id, "return_requested", {})
    request = {"requested_on": "2026-03-03", "destination_country": "TH", "free_will_confirmed": True}
    api.do(api.caseworker, ref, "register_return_request", {"return_request": request})
    assessment = {"risk_level": "low", "safe_to_return": True}
    api.do(api.caseworker, ref, "return_risk_assessment", {"return_assessment": assessment})
    assert run_outbox(api.svc) >= 1  # the worker's part: the partner call
    api.do(api.caseworker, ref, "confirm_departure", {"departed_on": "2026-03-10"})

    case = api.case(case_id)
    assert case["reference"] == ref
    r = api.client.post(f"/api/v1/cases/{case_id}/messages/client_notice", json={"payload": {}}, headers=api.caseworker)
    assert r.status_code == 409  # the relationship has ended: nothing waits for a notice


def test_a_rejection_and_withdrawal_over_the_api(api: Api) -> None:
    case_id, ref = api.refer()
    r = api.client.post(
        f"/api/v1/cases/{case_id}/messages/consent_withdrawn",
        json={"payload": {"date": "2026-03-02"}},
        headers=api.intake,
    )
    assert r.status_code == 200, r.text
    r = api.client.get(f"/api/v1/tasks?scope=team&case_reference={ref}", headers=api.intake)
    assert r.status_code == 200 and r.json() == []
