"""A case over HTTP: the overview, need-to-know, the access log it leaves, and messages to its processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support_api import access_rows, actor, case_with_flow, deploy_case_flow, open_task, to_assess, user

from services.context import Services
from services.tasks import complete_task
from services.uow import UnitOfWork
from store.models import Case
from web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


@pytest.fixture
def world(svc: Services) -> dict:  # type: ignore[type-arg]
    deploy_case_flow(svc)
    case_id, instance_id = case_with_flow(svc, "A", reference="AUT-2026-000042")
    return {
        "case_id": case_id,
        "instance_id": instance_id,
        "intake": user(svc, "ida", ["intake"], team="A"),
        "worker": user(svc, "anna", ["caseworker"], team="A"),
        "other_team": user(svc, "bert", ["caseworker"], team="B"),
        "sup": user(svc, "sue", ["supervisor"]),
        "owner": user(svc, "olga", ["process_owner"]),
    }


def test_the_case_overview(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    case_id = world["case_id"]
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.facts = {
            **case.facts,
            "client": {"given_names": "Anna", "family_name": "Example", "birth_year": 1990, "languages": ["en"]},
            "decisions": [{"outcome": "admitted", "decided_at": "2026-03-10"}],
            "deadlines": [{"kind": "appeal_window", "due_at": "2026-04-09", "basis": "30 days from notification"}],
        }
        uow.commit()
    register = open_task(svc, world["instance_id"], "register")
    data = {"data": {"client_name": "Anna", "received_on": "2026-03-01"}}
    assert client.post(f"/api/v1/tasks/{register}/complete", json=data, headers=world["intake"]).status_code == 200

    r = client.get(f"/api/v1/cases/{case_id}", headers=world["worker"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["id"], body["reference"], body["status"], body["team"]) == (case_id, "AUT-2026-000042", "open", "A")
    assert body["client"]["given_names"] == "Anna" and body["client"]["birth_year"] == 1990
    assert body["client"]["languages"] == ["en"] and body["client"]["gender"] is None
    assert [t["name"] for t in body["active_tasks"]] == ["assess"]
    assert body["decisions"] == [{"outcome": "admitted", "decided_at": "2026-03-10"}]
    kinds = [(d["kind"], d["due_at"][:10]) for d in body["deadlines"]]
    assert kinds == [("task", "2026-03-31"), ("timer", "2026-04-01"), ("appeal_window", "2026-04-09")]
    assert body["deadlines"][2]["basis"] == "30 days from notification"
    actions = [(h["action"], h["actor"]) for h in body["history"]]
    assert actions == [("instance_started", "system"), ("task_completed", "ida")]
    assert body["history"][1]["element_id"] == "register"
    assert body["history"][1]["summary"] == "changed: client_name"  # which fields, never their values


def test_need_to_know(client: TestClient, world: dict) -> None:  # type: ignore[type-arg]
    case_id = world["case_id"]
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["other_team"]).status_code == 403
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["owner"]).status_code == 403
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 401
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["sup"]).status_code == 200
    assert client.get("/api/v1/cases/999999", headers=world["worker"]).status_code == 404
    assert client.get("/api/v1/cases/999999", headers=world["owner"]).status_code == 403  # no probing for ids
    assert client.get("/api/v1/cases/abc", headers=world["worker"]).status_code == 422


def test_reads_are_in_the_access_log(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    case_id = world["case_id"]
    register = open_task(svc, world["instance_id"], "register")
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["worker"]).status_code == 200
    assert client.get(f"/api/v1/tasks/{register}", headers=world["intake"]).status_code == 200
    assert client.get(f"/api/v1/cases/{case_id}", headers=world["other_team"]).status_code == 403  # not a read

    rows = access_rows(svc, case_id=case_id)
    assert [(r.username, r.what, r.via) for r in rows] == [("anna", "case", "api"), ("ida", "task register", "api")]
    assert rows[0].at == svc.now()

    r = client.get(f"/api/v1/access-log?case_id={case_id}", headers=world["sup"])
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "2"
    assert [(e["username"], e["what"]) for e in r.json()] == [
        ("ida", "task register"),
        ("anna", "case"),
    ]  # newest first
    r = client.get("/api/v1/access-log?username=anna", headers=world["sup"])
    assert [(e["case_id"], e["what"], e["via"]) for e in r.json()] == [(case_id, "case", "api")]
    assert client.get("/api/v1/access-log?case_id=999", headers=world["sup"]).json() == []
    r = client.get("/api/v1/access-log?since=2026-03-03T00:00:00Z", headers=world["sup"])
    assert r.json() == []
    r = client.get("/api/v1/access-log?per_page=1&page=2", headers=world["sup"])
    assert [e["username"] for e in r.json()] == ["anna"] and r.headers["X-Total-Count"] == "2"
    for who in ("intake", "worker", "owner"):
        assert client.get("/api/v1/access-log", headers=world[who]).status_code == 403
    assert client.get("/api/v1/access-log").status_code == 401


def test_messages_reach_waiting_processes(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    case_id, instance_id = world["case_id"], world["instance_id"]
    url = f"/api/v1/cases/{case_id}/messages/police_report_filed"
    body = {"payload": {"report": "PR-9"}}
    r = client.post(url, json=body, headers=world["worker"])
    assert r.status_code == 409 and "waiting" in r.json()["detail"]  # still at `register`

    assess = to_assess(svc, instance_id, "ida")
    complete_task(svc, actor(svc, "anna"), assess, {"risk_level": 2})
    assert client.post(url, json=body, headers=world["owner"]).status_code == 403
    assert client.post(url, json=body, headers=world["other_team"]).status_code == 403
    r = client.post(url, json=body, headers=world["worker"])
    assert r.status_code == 200 and r.json() == {"delivered_to": [instance_id]}
    assert client.post(url, json=body, headers=world["worker"]).status_code == 409  # delivered once
    assert client.post("/api/v1/cases/999999/messages/x", json=body, headers=world["worker"]).status_code == 404
    r = client.post(f"/api/v1/cases/{case_id}/messages/bad%20name", json=body, headers=world["worker"])
    assert r.status_code == 422
    r = client.post(url, json={"payload": {}, "extra": 1}, headers=world["worker"])
    assert r.status_code == 422
