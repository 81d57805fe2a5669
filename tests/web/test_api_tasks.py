"""Working a task through the JSON API: list -> open -> claim -> draft -> complete, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support_api import (
    audit_actions,
    case_with_flow,
    deploy_case_flow,
    open_task,
    task_row,
    user,
)

from services.context import Services
from web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


@pytest.fixture
def world(svc: Services) -> dict[str, object]:
    deploy_case_flow(svc)
    case_id, instance_id = case_with_flow(svc, "A", reference="AUT-2026-000001")
    return {
        "case_id": case_id,
        "instance_id": instance_id,
        "register": open_task(svc, instance_id, "register"),
        "intake": user(svc, "ida", ["intake"], team="A"),
        "intake2": user(svc, "iris", ["intake"], team="A"),
        "worker": user(svc, "carl", ["caseworker"], team="A"),
        "sup": user(svc, "sue", ["supervisor"]),
    }


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [r["id"] for r in rows]


def test_a_task_completed_end_to_end(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    intake, worker, register = world["intake"], world["worker"], world["register"]

    r = client.get("/api/v1/tasks?scope=team", headers=intake)
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "1"
    row = r.json()[0]
    assert row["id"] == register
    assert row["case_id"] == world["case_id"] and row["case_reference"] == "AUT-2026-000001"
    assert (row["process"], row["version"], row["name"], row["title"]) == (
        "case_flow",
        1,
        "register",
        "Register the case",
    )
    assert row["lane"] == "Intake" and row["assignee"] is None and row["overdue"] is False
    assert row["due_at"].startswith("2026-03-04T09:00:00") and row["created_at"].startswith("2026-03-02T09:00:00")

    r = client.get(f"/api/v1/tasks/{register}", headers=intake)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["form"]["schema"]["title"] == "Register the case"
    assert body["form"]["ui_schema"]["ui:order"] == ["client_name", "received_on", "urgent"]
    assert body["data"] == {"received_on": "2026-03-01", "urgent": False}
    assert body["instructions"] == "Register the referral received on 2026-03-01."
    assert body["is_draft"] is False

    r = client.post(f"/api/v1/tasks/{register}/claim", headers=intake)
    assert r.status_code == 200 and r.json()["assignee"] == "ida"
    assert ids(client.get("/api/v1/tasks?scope=mine", headers=intake).json()) == [register]
    assert client.get("/api/v1/tasks?scope=team", headers=intake).json() == []  # claimed: no longer team work

    r = client.put(f"/api/v1/tasks/{register}/draft", json={"data": {"client_name": "An"}}, headers=intake)
    assert r.status_code == 200 and r.json()["draft_saved_at"] is not None
    body = client.get(f"/api/v1/tasks/{register}", headers=intake).json()
    assert body["is_draft"] is True and body["has_draft"] is True
    assert body["data"] == {"received_on": "2026-03-01", "urgent": False, "client_name": "An"}

    data = {"client_name": "Anna", "received_on": "2026-03-01", "urgent": True}
    r = client.post(f"/api/v1/tasks/{register}/complete", json={"data": data}, headers=intake)
    assert r.status_code == 200, r.text
    done = r.json()
    assess = open_task(svc, world["instance_id"], "assess")
    assert done == {
        "task_id": register,
        "instance_id": world["instance_id"],
        "case_id": world["case_id"],
        "instance_status": "running",
        "next_task_ids": [assess],
        "incident": None,
        "completed": True,
    }
    team_rows = client.get("/api/v1/tasks?scope=team", headers=worker).json()
    assert ids(team_rows) == [assess] and team_rows[0]["priority"] == 10  # urgent now
    completed = client.get("/api/v1/tasks?scope=mine&status=completed", headers=intake).json()
    assert ids(completed) == [register] and completed[0]["completed_by"] == "ida"
    assert client.get("/api/v1/tasks?scope=mine", headers=intake).json() == []


def test_a_draft_survives_a_reload(svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    register, intake = world["register"], world["intake"]
    with TestClient(create_app(svc.settings, services=svc)) as first:
        first.put(f"/api/v1/tasks/{register}/draft", json={"data": {"client_name": "Draft"}}, headers=intake)
    restarted = Services.build(svc.settings, clock=svc.clock)  # a new process: nothing kept in memory
    try:
        with TestClient(create_app(svc.settings, services=restarted)) as second:
            body = second.get(f"/api/v1/tasks/{register}", headers=intake).json()
    finally:
        restarted.close()
    assert body["is_draft"] is True and body["data"]["client_name"] == "Draft"


def test_invalid_input_is_422_per_field_and_writes_nothing(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    register, intake = world["register"], world["intake"]
    r = client.post(
        f"/api/v1/tasks/{register}/complete",
        json={"data": {"client_name": "", "received_on": "not a date"}},
        headers=intake,
    )
    assert r.status_code == 422
    assert set(r.json()["detail"]["errors"]) == {"client_name", "received_on"}
    r = client.post(
        f"/api/v1/tasks/{register}/complete",
        json={"data": {"client_name": "A", "received_on": "2026-03-01", "sneaky": 1}},
        headers=intake,
    )
    assert r.status_code == 422
    r = client.put(f"/api/v1/tasks/{register}/draft", json={"data": {"sneaky": 1}}, headers=intake)
    assert r.status_code == 422 and "sneaky" in r.json()["detail"]["errors"]
    r = client.post(f"/api/v1/tasks/{register}/complete", json={"values": {}}, headers=intake)
    assert r.status_code == 422 and {"data", "values"} <= set(r.json()["detail"]["errors"])

    row = task_row(svc, register)
    assert row.status == "open" and row.completed_by is None and row.draft is None
    assert "task_completed" not in audit_actions(svc, register)


def test_a_stale_completion_is_409(client: TestClient, world: dict) -> None:  # type: ignore[type-arg]
    register, intake = world["register"], world["intake"]
    data = {"data": {"client_name": "Anna", "received_on": "2026-03-01"}}
    assert client.post(f"/api/v1/tasks/{register}/complete", json=data, headers=intake).status_code == 200
    r = client.post(f"/api/v1/tasks/{register}/complete", json=data, headers=intake)
    assert r.status_code == 409 and "completed" in r.json()["detail"]
    assert client.post(f"/api/v1/tasks/{register}/claim", headers=intake).status_code == 409
    assert client.put(f"/api/v1/tasks/{register}/draft", json={"data": {}}, headers=intake).status_code == 409


def test_someone_elses_claimed_task_is_409(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    register, intake, intake2 = world["register"], world["intake"], world["intake2"]
    assert client.post(f"/api/v1/tasks/{register}/claim", headers=intake).status_code == 200
    data = {"data": {"client_name": "Anna", "received_on": "2026-03-01"}}
    r = client.post(f"/api/v1/tasks/{register}/complete", json=data, headers=intake2)
    assert r.status_code == 409 and "ida" in r.json()["detail"]
    assert client.post(f"/api/v1/tasks/{register}/claim", headers=intake2).status_code == 409
    assert client.post(f"/api/v1/tasks/{register}/unclaim", headers=intake2).status_code == 403
    assert task_row(svc, register).status == "open"
    r = client.post(f"/api/v1/tasks/{register}/unclaim", headers=intake)
    assert r.status_code == 200 and r.json()["assignee"] is None


def test_a_supervisor_assigns(client: TestClient, world: dict) -> None:  # type: ignore[type-arg]
    register, sup, intake = world["register"], world["sup"], world["intake"]
    r = client.post(f"/api/v1/tasks/{register}/assign", json={"assignee": "iris"}, headers=sup)
    assert r.status_code == 200 and r.json()["assignee"] == "iris"
    assert ids(client.get("/api/v1/tasks?scope=mine", headers=world["intake2"]).json()) == [register]
    r = client.post(f"/api/v1/tasks/{register}/assign", json={"assignee": "carl"}, headers=sup)
    assert r.status_code == 422 and "assignee" in r.json()["detail"]["errors"]  # no Intake role
    r = client.post(f"/api/v1/tasks/{register}/assign", json={"assignee": None}, headers=sup)
    assert r.status_code == 200 and r.json()["assignee"] is None
    assert client.post(f"/api/v1/tasks/{register}/assign", json={"assignee": "ida"}, headers=intake).status_code == 403


def test_unknown_task_is_404(client: TestClient, world: dict) -> None:  # type: ignore[type-arg]
    intake = world["intake"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/api/v1/tasks/{missing}", headers=intake).status_code == 404
    assert client.post(f"/api/v1/tasks/{missing}/claim", headers=intake).status_code == 404
    data = {"data": {"client_name": "A", "received_on": "2026-03-01"}}
    assert client.post(f"/api/v1/tasks/{missing}/complete", json=data, headers=intake).status_code == 404


def test_openapi_documents_the_task_api(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/unclaim",
        "/api/v1/tasks/{task_id}/assign",
        "/api/v1/tasks/{task_id}/draft",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/tasks/{task_id}/documents",
        "/api/v1/documents/{public_id}",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/messages/{name}",
        "/api/v1/referrals",
        "/api/v1/access-log",
        "/api/v1/saved-filters",
        "/api/v1/saved-filters/{filter_id}",
    ):
        assert path in paths, path
    assert {"TaskRow", "TaskRead", "CaseRead", "PartnerReferral", "CompletionRead"} <= set(doc["components"]["schemas"])
    # the referral body is the referral document (DESIGN.md section 4) plus a partner's optional callback URL
    referral = doc["components"]["schemas"]["PartnerReferral"]["properties"]
    assert {"referrer", "client", "consent", "residence_status", "callback_url"} <= set(referral)
