"""POST /api/v1/referrals: a partner's referral becomes a case and (with the process deployed) intake's task."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import OWNER, files_of
from support_api import referral, user

from services.context import Services
from services.deploy import deploy
from services.uow import UnitOfWork
from store.models import AuditEvent, Case, HumanTask, ProcessInstance
from web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


def stored_case(svc: Services, case_id: int) -> Case:
    with UnitOfWork(svc.sessions) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        return case


def test_a_referral_without_the_process_creates_just_the_case(client: TestClient, svc: Services) -> None:
    partner = user(svc, "police_api", ["referrer"])
    r = client.post("/api/v1/referrals", json=referral(), headers=partner)
    assert r.status_code == 201, r.text
    assert r.json() == {"case_id": r.json()["case_id"], "reference": "AUT-2026-000001"}  # nothing else
    case = stored_case(svc, r.json()["case_id"])
    assert (case.status, case.team_id, case.created_by) == ("referral", None, "police_api")
    assert case.facts["client"]["family_name"] == "Example"
    assert case.facts["referral"]["referrer"]["type"] == "police"
    assert case.facts["received_at"] == "2026-03-02T09:00:00+00:00"
    assert case.facts["urgent"] is False and case.facts["is_child"] is False
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalars(select(ProcessInstance)).all() == []
        event = uow.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)).one()
        assert event.action == "referral_received" and event.details["referrer_type"] == "police"

    r = client.post("/api/v1/referrals", json=referral(), headers=partner)
    assert r.json()["reference"] == "AUT-2026-000002"  # the year's sequence


def test_with_the_process_intake_gets_a_task(client: TestClient, svc: Services) -> None:
    deploy(svc, OWNER, files_of("referral_stub"))
    partner = user(svc, "ngo_api", ["referrer"])
    intake = user(svc, "ida", ["intake"])
    child = referral(client={"given_names": "Mia", "birth_year": 2010, "gender": "female"})
    r = client.post("/api/v1/referrals", json=child, headers=partner)
    assert r.status_code == 201, r.text
    case_id, reference = r.json()["case_id"], r.json()["reference"]
    assert stored_case(svc, case_id).facts["urgent"] is True  # a child's case is always urgent

    rows = client.get("/api/v1/tasks?scope=team", headers=intake).json()
    assert [(t["name"], t["case_id"], t["case_reference"], t["lane"]) for t in rows] == [
        ("check_referral", case_id, reference, "Intake")
    ]
    assert rows[0]["priority"] == 10
    task = client.get(f"/api/v1/tasks/{rows[0]['id']}", headers=intake).json()
    assert task["instructions"] == f"Check referral {reference} (URGENT)."
    with UnitOfWork(svc.sessions) as uow:
        instance = uow.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).one()
        assert instance.process_id == "referral" and instance.started_by == "system"  # never the referrer
    # the referrer learns nothing else
    assert client.get(f"/api/v1/cases/{case_id}", headers=partner).status_code == 403
    assert client.get(f"/api/v1/tasks/{rows[0]['id']}", headers=partner).status_code == 403
    assert client.get("/api/v1/tasks?scope=team", headers=partner).json() == []


def errors_of(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == 422, body  # type: ignore[attr-defined]
    return body["detail"]["errors"]  # type: ignore[no-any-return]


def test_invalid_referrals_are_422_naming_the_field(client: TestClient, svc: Services) -> None:
    partner = user(svc, "police_api", ["referrer"])

    def post(doc: dict) -> dict[str, str]:  # type: ignore[type-arg]
        return errors_of(client.post("/api/v1/referrals", json=doc, headers=partner))

    no_consent = referral(consent={"given": False, "method": "signed_form"})
    assert "consent.given" in post(no_consent) and "consent" in post(no_consent)["consent.given"]
    missing = referral()
    del missing["consent"]
    assert "consent" in post(missing)
    assert "referrer.type" in post(referral(referrer={"type": "neighbour"}))
    assert "client.gender" in post(referral(client={"gender": "f"}))
    assert "client.nationalities.0" in post(referral(client={"nationalities": ["ng"]}))
    assert "client.nationalities.0" in post(referral(client={"nationalities": ["XX"]}))
    assert "client.languages.0" in post(referral(client={"languages": ["EN"]}))
    assert "residence_status" in post(referral(residence_status="tourist"))
    assert "client_category" in post(referral(client_category="victim"))
    assert "suspected_exploitation.0" in post(referral(suspected_exploitation=["slavery"]))
    assert "suspected_exploitation" in post(referral(suspected_exploitation=["begging", "begging"]))
    assert "exploited_in" in post(referral(exploited_in="sweden"))
    assert "consent.method" in post(referral(consent={"given": True, "method": "telepathy"}))
    assert "wellbeing_county" in post(referral(wellbeing_county="Atlantis"))
    assert "favourite_colour" in post(referral(favourite_colour="blue"))
    assert "client.shoe_size" in post(referral(client={"shoe_size": 42}))
    assert "description" in post(referral(description="x" * 10_001))
    assert "client.family_name" in post(referral(client={"family_name": "x" * 201}))
    assert "referrer.email" in post(referral(referrer={"type": "ngo", "email": "not an address"}))
    assert "client" in post(referral(client={"birth_date": "2000-01-01", "birth_year": 1999}))
    assert "received_at" in post(referral(received_at="yesterday"))
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalars(select(Case)).all() == []  # nothing was written


def test_only_intake_back_dates(client: TestClient, svc: Services) -> None:
    partner = user(svc, "police_api", ["referrer"])
    intake = user(svc, "ida", ["intake"])
    sup = user(svc, "sue", ["supervisor"])
    back = referral(received_at="2026-02-20T14:30:00+02:00")
    for who in (partner, sup):
        r = client.post("/api/v1/referrals", json=back, headers=who)
        assert r.status_code == 201
        assert stored_case(svc, r.json()["case_id"]).facts["received_at"] == "2026-03-02T09:00:00+00:00"  # now
    r = client.post("/api/v1/referrals", json=back, headers=intake)
    assert r.status_code == 201
    facts = stored_case(svc, r.json()["case_id"]).facts
    assert facts["received_at"] == "2026-02-20T14:30:00+02:00"
    assert facts["referral"]["received_at"] == "2026-02-20T14:30:00+02:00"
    future = referral(received_at="2026-03-09T00:00:00Z")
    assert "received_at" in errors_of(client.post("/api/v1/referrals", json=future, headers=intake))


def test_who_may_refer(client: TestClient, svc: Services) -> None:
    for name, role in (("carl", "caseworker"), ("dora", "decider"), ("olga", "process_owner"), ("adam", "admin")):
        headers = user(svc, name, [role])
        assert client.post("/api/v1/referrals", json=referral(), headers=headers).status_code == 403, role
    assert client.post("/api/v1/referrals", json=referral()).status_code == 401
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalars(select(HumanTask)).all() == []
