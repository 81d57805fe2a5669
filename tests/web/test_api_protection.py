"""Data protection over HTTP: restricted cases, break-the-glass, safe addresses, disclosures and the
data-subject export, each with the access log checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import OWNER
from support_api import access_rows, case_with_flow, deploy_case_flow, referral, team_id, user

from engine import SourceFile
from services.context import SYSTEM, Services
from services.deploy import deploy, latest_version
from services.instances import start_in
from services.uow import UnitOfWork
from store.models import Case, HumanTask
from web.app import create_app

SAFE = "Secret Shelter Street 5"
PHONE = "+358 40 999 8888"


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


@pytest.fixture
def world(svc: Services) -> dict[str, Any]:
    deploy_case_flow(svc)
    case_id, _instance = case_with_flow(svc, "A", reference="AUT-2026-000077")
    return {
        "case_id": case_id,
        "worker": user(svc, "anna", ["caseworker"], team="A"),
        "named": user(svc, "nina", ["caseworker"], team="A"),
        "sup": user(svc, "sue", ["supervisor"]),
        "sup2": user(svc, "sam", ["supervisor"]),
        "admin": user(svc, "adam", ["admin"]),
        "intake": user(svc, "ida", ["intake"]),
        "team_intake": user(svc, "ivy", ["intake"], team="A"),
        "named_intake": user(svc, "iris", ["intake"], team="A"),
    }


def _team_ids(client: TestClient, headers: dict[str, str]) -> list[Any]:
    return [r["case_id"] for r in client.get("/api/v1/tasks?scope=team", headers=headers).json()]


def test_a_restricted_case_is_invisible_to_the_team_and_visible_to_a_named_user(
    client: TestClient, svc: Services, world: dict[str, Any]
) -> None:
    case_id = world["case_id"]
    assert case_id in _team_ids(client, world["team_intake"])  # before: the team sees its task
    # only a supervisor restricts
    assert (
        client.put(
            f"/api/v1/cases/{case_id}/protection", json={"restricted": True}, headers=world["worker"]
        ).status_code
        == 403
    )
    r = client.put(
        f"/api/v1/cases/{case_id}/protection",
        json={"restricted": True, "named": ["nina", "iris"]},
        headers=world["sup"],
    )
    assert r.status_code == 200 and r.json()["named_users"] == ["iris", "nina"] and r.json()["restricted"] is True
    before = len(access_rows(svc, case_id=case_id))

    assert client.get(f"/api/v1/cases/{case_id}", headers=world["worker"]).status_code == 403
    assert case_id not in _team_ids(client, world["team_intake"])
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["sup"]).status_code == 403  # supervisors too
    assert case_id not in [r["case_id"] for r in client.get("/api/v1/tasks?scope=all", headers=world["sup"]).json()]
    assert len(access_rows(svc, case_id=case_id)) == before  # refused reads leave no read in the log

    assert client.get(f"/api/v1/cases/{case_id}", headers=world["named"]).status_code == 200
    assert case_id in _team_ids(client, world["named_intake"])
    rows = access_rows(svc, case_id=case_id)
    assert [(e.username, e.via, e.flagged) for e in rows[before:]] == [("nina", "api", False)]


def test_break_the_glass_is_logged_and_flagged(client: TestClient, svc: Services, world: dict[str, Any]) -> None:
    case_id = world["case_id"]
    client.put(
        f"/api/v1/cases/{case_id}/protection", json={"restricted": True, "named": ["nina"]}, headers=world["sup"]
    )
    url = f"/api/v1/cases/{case_id}/break-glass"
    assert client.post(url, json={"reason": "too short"}, headers=world["sup2"]).status_code == 422
    assert client.post(url, json={"reason": "urgent safety check"}, headers=world["worker"]).status_code == 403
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["sup2"]).status_code == 403
    r = client.post(url, json={"reason": "Police report of acute danger tonight"}, headers=world["sup2"])
    assert r.status_code == 200 and r.json()["hours"] >= 1
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["sup2"]).status_code == 200
    sam = access_rows(svc, case_id=case_id, username="sam")
    assert [(e.what, e.flagged) for e in sam] == [("break the glass", True), ("case", True)]
    assert all(e.reason == "Police report of acute danger tonight" for e in sam)
    # the supervisor's log viewer shows them
    log = client.get(f"/api/v1/access-log?case_id={case_id}", headers=world["sup"])
    assert log.status_code == 200


def _address_flow(svc: Services, case_id: int) -> str:
    """A process whose Caseworker task shows the client's address and phone; returns its task id."""
    schema = (
        b'{"type": "object", "properties": {"address": {"type": "string"}, "phone": {"type": "string"},'
        b' "note": {"type": "string"}}}'
    )
    bpmn = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://t">'
        '<bpmn:process id="addr_flow" isExecutable="true"><bpmn:laneSet id="ls"><bpmn:lane id="l" name="Caseworker">'
        "<bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>t</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>"
        '</bpmn:lane></bpmn:laneSet><bpmn:startEvent id="s"/><bpmn:userTask id="t" name="Visit">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" value="visit-schema.json"/>'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
        "</bpmn:process></bpmn:definitions>"
    )
    deploy(svc, OWNER, [SourceFile("addr_flow.bpmn", bpmn.encode()), SourceFile("visit-schema.json", schema)])
    with UnitOfWork(svc.sessions, write=True) as uow:
        version = latest_version(uow, "addr_flow")
        assert version is not None
        info = start_in(uow, svc, SYSTEM, version, {"address": SAFE, "phone": PHONE, "note": "ok"}, case_id=case_id)
        uow.commit()
    with UnitOfWork(svc.sessions) as uow:
        task = uow.session.query(HumanTask).filter_by(instance_id=info.id, bpmn_id="t").one()
        return task.id


def test_the_safe_address_is_absent_from_every_response_and_export_for_others(
    client: TestClient, svc: Services, world: dict[str, Any]
) -> None:
    doc = referral(reception_centre=SAFE, referrer={**referral()["referrer"], "phone": PHONE})
    receipt = client.post("/api/v1/referrals", json=doc, headers=world["intake"])
    assert receipt.status_code in (200, 201), receipt.text
    case_id = receipt.json()["case_id"]
    tid = team_id(svc, "A")
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.team_id = tid
        uow.commit()
    task_id = _address_flow(svc, case_id)
    r = client.put(
        f"/api/v1/cases/{case_id}/protection", json={"safe_address": True, "named": ["nina"]}, headers=world["sup"]
    )
    assert r.status_code == 200 and r.json()["restricted"] is False

    others = [
        client.get(f"/api/v1/cases/{case_id}", headers=world["worker"]),
        client.get(f"/api/v1/tasks/{task_id}", headers=world["worker"]),
        client.get(f"/api/v1/cases/{case_id}", headers=world["sup"]),
        client.get(f"/api/v1/tasks/{task_id}", headers=world["sup"]),
        client.get(f"/api/v1/cases/{case_id}/subject-export?format=json", headers=world["sup"]),
        client.get(f"/api/v1/cases/{case_id}/subject-export?format=html", headers=world["sup"]),
    ]
    for resp in others:
        assert resp.status_code == 200, resp.text
        assert SAFE not in resp.text and PHONE not in resp.text and "virtanen@example.fi" not in resp.text
    assert others[1].json()["data"]["note"] == "ok"  # the rest of the task data is shown
    # a named user sees it
    assert SAFE in client.get(f"/api/v1/tasks/{task_id}", headers=world["named"]).text
    client.put(f"/api/v1/cases/{case_id}/protection", json={"named": ["sue"]}, headers=world["sup"])
    assert SAFE in client.get(f"/api/v1/cases/{case_id}/subject-export", headers=world["sup"]).text
    logged = [(e.username, e.what, e.via) for e in access_rows(svc, case_id=case_id)]
    assert ("anna", "case", "api") in logged and ("sue", "data-subject export", "export") in logged
    assert ("nina", "task t", "api") in logged


def test_a_disclosure_without_a_basis_is_refused(client: TestClient, svc: Services, world: dict[str, Any]) -> None:
    receipt = client.post("/api/v1/referrals", json=referral(), headers=world["intake"]).json()
    case_id = receipt["case_id"]
    url = f"/api/v1/cases/{case_id}/disclosures"
    body = {"recipient": "Helsinki police", "fields": ["outcome"]}
    assert client.post(url, json={**body, "basis": "curiosity"}, headers=world["sup"]).status_code == 422
    # an adult: no child-welfare notification
    assert client.post(url, json={**body, "basis": "child_welfare_act_25"}, headers=world["sup"]).status_code == 422
    # a referrer gets yes/no only
    notice = {"recipient": "referrer", "basis": "referrer_outcome_notice"}
    assert client.post(url, json={**notice, "fields": ["outcome", "client"]}, headers=world["sup"]).status_code == 422
    ok = client.post(url, json={**notice, "fields": ["outcome"]}, headers=world["sup"])
    assert ok.status_code == 201 and ok.json()["status"] == "sent"
    pending = client.post(
        url,
        json={"recipient": "IOM", "basis": "return_partner_with_consent", "fields": ["client"], "pending": True},
        headers=world["sup"],
    )
    assert pending.status_code == 201
    withdrawn = client.post(f"/api/v1/cases/{case_id}/consent-withdrawal", headers=world["sup"])
    assert withdrawn.json() == {"cancelled_disclosures": 1}
    listed = client.get(url, headers=world["sup"]).json()
    assert [d["status"] for d in listed] == ["sent", "cancelled"]
    # after withdrawal a consent-based disclosure is refused
    again = {"recipient": "IOM", "basis": "consent", "fields": ["client"]}
    assert client.post(url, json=again, headers=world["sup"]).status_code == 422
    assert client.get(url, headers=world["worker"]).status_code == 403  # no team yet: need-to-know
    assert access_rows(svc, case_id=case_id, username="anna") == []


def test_the_subject_export_contains_the_access_log(client: TestClient, svc: Services, world: dict[str, Any]) -> None:
    case_id = world["case_id"]
    client.get(f"/api/v1/cases/{case_id}", headers=world["worker"])
    assert client.get(f"/api/v1/cases/{case_id}/subject-export", headers=world["worker"]).status_code == 403
    data = client.get(f"/api/v1/cases/{case_id}/subject-export", headers=world["sup"]).json()
    log = [(e["who"], e["what"], e["via"]) for e in data["access_log"]]
    assert ("anna", "case", "api") in log and ("sue", "data-subject export", "export") in log
    assert data["case"]["reference"] == "AUT-2026-000077" and data["client"]["family_name"] == "AUT-2026-000077"
    page = client.get(f"/api/v1/cases/{case_id}/subject-export?format=html", headers=world["sup"])
    assert page.headers["content-type"].startswith("text/html") and "anna" in page.text and "Access log" in page.text
    assert ("sue", "data-subject export", "export") in [(e.username, e.what, e.via) for e in access_rows(svc)]


def test_retention_preview_is_for_admins(client: TestClient, world: dict[str, Any]) -> None:
    assert client.get("/api/v1/retention/preview", headers=world["admin"]).json() == []
    assert client.get("/api/v1/retention/preview", headers=world["worker"]).status_code == 403
