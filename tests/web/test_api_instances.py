"""The engine's own endpoints over real HTTP (TestClient), behind bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support import DATA, OWNER, files_of

from services.context import Services
from services.users import add_user, issue_token
from web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


def token(svc: Services, name: str, roles: list[str]) -> dict[str, str]:
    add_user(svc, name, roles, password=None)
    return {"Authorization": f"Bearer {issue_token(svc, name)}"}


def upload(names: list[str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (f.name, f.content, "application/octet-stream")) for f in files_of(*names)]


def test_health(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}
    assert r.headers["x-frame-options"] == "DENY" and "default-src 'self'" in r.headers["content-security-policy"]


def test_deploy_start_and_read(client: TestClient, svc: Services) -> None:
    owner = token(svc, "olga", ["process_owner"])
    r = client.post("/api/v1/process-definitions?dry_run=true", files=upload(["case_flow"]), headers=owner)
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["versions"] == []
    r = client.post("/api/v1/process-definitions", files=upload(["case_flow"]), headers=owner)
    assert r.status_code == 201 and r.json()["versions"][0]["version"] == 1
    assert client.get("/api/v1/process-definitions", headers=owner).json()[0]["process_id"] == "case_flow"

    r = client.post(
        "/api/v1/process-instances", json={"process": "case_flow", "data": {"received_on": "2026-03-01"}}, headers=owner
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "running" and body["active_element_ids"] == ["register"]
    assert body["tasks"][0]["lane"] == "Intake"
    r = client.get(f"/api/v1/process-instances/{body['id']}", headers=owner)
    assert r.status_code == 200 and r.json()["id"] == body["id"]


def test_invalid_bpmn_upload_returns_the_report(client: TestClient, svc: Services) -> None:
    owner = token(svc, "olga", ["process_owner"])
    files = [("files", ("broken.bpmn", b"not xml at all", "application/xml"))]
    r = client.post("/api/v1/process-definitions", files=files, headers=owner)
    assert r.status_code == 422
    report = r.json()["detail"]["report"]
    assert report["errors"][0]["rule"] == "xml-malformed"


def test_script_error_is_an_incident_not_a_500(client: TestClient, svc: Services) -> None:
    from support import script_process

    from services.deploy import deploy

    deploy(svc, OWNER, script_process("broken", "import os"))
    owner = token(svc, "olga", ["process_owner"])
    r = client.post("/api/v1/process-instances", json={"process": "broken"}, headers=owner)
    assert r.status_code == 201
    assert r.json()["state"] == "error"
    assert "imports are not allowed" in r.json()["incidents"][0]["message"]


def test_auth_and_errors(client: TestClient, svc: Services) -> None:
    assert client.post("/api/v1/process-instances", json={"process": "x"}).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    r = client.post("/api/v1/process-instances", json={"process": "x"}, headers=bad)
    assert r.status_code == 401 and r.json() == {"detail": "invalid or revoked token"}
    worker = token(svc, "carl", ["caseworker"])
    assert client.post("/api/v1/process-instances", json={"process": "x"}, headers=worker).status_code == 403
    assert client.get("/api/v1/process-instances/1", headers=worker).status_code == 403
    owner = token(svc, "olga", ["process_owner"])
    r = client.post("/api/v1/process-instances", json={"process": "nope"}, headers=owner)
    assert r.status_code == 404
    assert client.get("/api/v1/process-instances/999", headers=owner).status_code == 404
    r = client.post("/api/v1/process-instances", json={"data": {}}, headers=owner)
    assert r.status_code == 422 and "process" in r.json()["detail"]["errors"]
    r = client.post(
        "/api/v1/process-instances", content=b"{not json", headers={**owner, "content-type": "application/json"}
    )
    assert r.status_code == 422


def test_oversized_body_is_refused(client: TestClient, svc: Services) -> None:
    owner = token(svc, "olga", ["process_owner"])
    huge = {"process": "x", "data": {"blob": "a" * (3 * 1024 * 1024)}}
    r = client.post("/api/v1/process-instances", json=huge, headers=owner)
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_openapi_lists_the_contract(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/process-instances",
        "/api/v1/process-instances/{instance_id}",
        "/api/v1/process-definitions",
    } <= set(paths)


def test_data_dir_exists() -> None:
    assert (DATA / "case_flow" / "case_flow.bpmn").is_file()
