"""The JSON side of monitoring: `GET /api/v1/process-instances` (the DESIGN.md contract:
`?process=&state=&overdue=`, plus lane, version, ranges, case reference, pages) and the actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from monitoring_kit import deploy_flow, start_flow
from support import FakeClock
from support_api import user

from services.context import Services
from services.uow import UnitOfWork
from store.models import AuditEvent
from web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


def test_the_instance_list_contract(client: TestClient, svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    sue = user(svc, "sue", ["supervisor"])
    olga = user(svc, "olga", ["process_owner"])
    ids = [start_flow(svc, f"AUT-2026-00000{n}")[1] for n in range(1, 4)]
    clock.advance(days=3)  # every register task is overdue

    r = client.get("/api/v1/process-instances?process=monitoring_flow&state=running&overdue=true", headers=sue)
    assert r.status_code == 200 and r.headers["x-total-count"] == "3"
    row = r.json()[0]
    assert set(row) >= {"id", "process", "version", "state", "active_element_ids", "case_reference", "overdue"}
    assert row["state"] == "running" and row["active_element_ids"] == ["register"] and row["overdue"] is True
    assert {x["id"] for x in r.json()} == set(ids)
    paged = client.get("/api/v1/process-instances?per_page=2&page=2&sort=id&order=asc", headers=sue).json()
    assert [x["id"] for x in paged] == [ids[2]]
    one = client.get("/api/v1/process-instances?case_reference=AUT-2026-000002", headers=sue).json()
    assert [x["case_reference"] for x in one] == ["AUT-2026-000002"]
    assert client.get("/api/v1/process-instances?state=completed", headers=sue).json() == []
    assert client.get("/api/v1/process-instances?state=nonsense", headers=sue).status_code == 422
    assert client.get("/api/v1/process-instances?lane=Caseworker", headers=sue).headers["x-total-count"] == "0"

    owners = client.get("/api/v1/process-instances", headers=olga).json()
    assert len(owners) == 3 and {x["case_reference"] for x in owners} == {None}
    refused = client.get("/api/v1/process-instances?case_reference=AUT-2026-000002", headers=olga)
    assert refused.status_code == 422 and "case_reference" in refused.json()["detail"]["errors"]


def test_actions_need_a_reason_and_are_in_the_history(client: TestClient, svc: Services) -> None:
    deploy_flow(svc)
    sue = user(svc, "sue", ["supervisor"])
    _case, instance = start_flow(svc, "AUT-2026-000001")
    base = f"/api/v1/process-instances/{instance}"
    assert client.post(f"{base}/suspend", json={}, headers=sue).status_code == 422
    assert client.post(f"{base}/suspend", json={"reason": "x"}, headers=sue).status_code == 422
    r = client.post(f"{base}/suspend", json={"reason": "Police asked us to wait"}, headers=sue)
    assert r.status_code == 200 and r.json() == {"id": instance, "state": "suspended"}
    assert client.get(base, headers=sue).json()["state"] == "suspended"
    assert client.post(f"{base}/suspend", json={"reason": "Police asked again"}, headers=sue).status_code == 409
    assert client.post(f"{base}/resume", json={"reason": "Police done"}, headers=sue).json()["state"] == "running"
    assert client.post(f"{base}/cancel", json={"reason": "Duplicate referral"}, headers=sue).json()["state"] == (
        "cancelled"
    )
    assert (
        client.post("/api/v1/process-instances/999/cancel", json={"reason": "nothing here"}, headers=sue).status_code
        == 404
    )
    with UnitOfWork(svc.sessions) as uow:
        events = uow.session.query(AuditEvent).filter(AuditEvent.instance_id == instance, AuditEvent.actor == "sue")
        assert [(e.action, e.details["reason"]) for e in events.order_by(AuditEvent.id)] == [
            ("instance_suspended", "Police asked us to wait"),
            ("instance_resumed", "Police done"),
            ("instance_cancelled", "Duplicate referral"),
        ]
