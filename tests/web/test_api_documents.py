"""Documents: upload for a task's form field (sha256, limits, allowlist), download under need-to-know, logged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support_api import access_rows, audit_actions, case_with_flow, deploy_case_flow, open_task, user

from services.context import Services
from services.documents import MAX_DOCUMENT_BYTES
from services.uow import UnitOfWork
from store.models import Document
from web.app import create_app

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


@pytest.fixture
def world(svc: Services) -> dict:  # type: ignore[type-arg]
    deploy_case_flow(svc)
    case_id, instance_id = case_with_flow(svc, "A", reference="AUT-2026-000007")
    return {
        "case_id": case_id,
        "register": open_task(svc, instance_id, "register"),
        "intake": user(svc, "ida", ["intake"], team="A"),
        "worker": user(svc, "anna", ["caseworker"], team="A"),
        "other_team": user(svc, "bert", ["caseworker"], team="B"),
        "owner": user(svc, "olga", ["process_owner"]),
    }


def upload(
    client: TestClient, task: str, headers: dict[str, str], content: bytes, kind: str, name: str = "report.pdf"
) -> object:
    return client.post(
        f"/api/v1/tasks/{task}/documents",
        files={"file": (name, content, kind)},
        data={"field": "client_name"},
        headers=headers,
    )


def documents(svc: Services) -> list[Document]:
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.scalars(select(Document)).all())


def test_upload_and_download(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    r = upload(client, world["register"], world["intake"], PDF, "application/pdf", name="../../etc/Lausunto ä.pdf")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
    assert body["filename"] == "Lausunto ä.pdf" and body["field"] == "client_name"
    assert "document_uploaded" in audit_actions(svc, world["register"])

    r = client.get(f"/api/v1/documents/{body['id']}", headers=world["worker"])  # same team: may read
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith('attachment; filename="Lausunto _.pdf"')
    assert "filename*=UTF-8''Lausunto%20%C3%A4.pdf" in r.headers["content-disposition"]
    rows = access_rows(svc, case_id=world["case_id"])
    assert [(a.username, a.what, a.via) for a in rows] == [("anna", f"document {body['id']}", "api")]

    assert client.get(f"/api/v1/documents/{body['id']}", headers=world["other_team"]).status_code == 403
    assert client.get(f"/api/v1/documents/{body['id']}", headers=world["owner"]).status_code == 403
    assert client.get(f"/api/v1/documents/{body['id']}").status_code == 401
    assert (
        client.get("/api/v1/documents/5b0e1c1e-0000-4000-8000-000000000000", headers=world["worker"]).status_code == 404
    )
    assert client.get("/api/v1/documents/not-a-uuid", headers=world["worker"]).status_code == 404
    assert len(access_rows(svc, case_id=world["case_id"])) == 1  # refusals are not reads

    again = upload(client, world["register"], world["intake"], PDF, "application/pdf")
    assert again.json()["id"] != body["id"] and len(documents(svc)) == 2  # type: ignore[attr-defined]


def test_refused_uploads(client: TestClient, svc: Services, world: dict) -> None:  # type: ignore[type-arg]
    task, intake = world["register"], world["intake"]

    def refused(content: bytes, kind: str, headers: dict[str, str] = intake) -> tuple[int, object]:
        r = upload(client, task, headers, content, kind)
        return r.status_code, r.json().get("detail")  # type: ignore[attr-defined]

    status, detail = refused(b"<script>alert(1)</script>", "text/html")
    assert status == 422 and "not allowed" in detail["errors"]["file"]  # type: ignore[index]
    status, detail = refused(b"<html>not a pdf</html>", "application/pdf")
    assert status == 422 and "not application/pdf" in detail["errors"]["file"]  # type: ignore[index]
    assert refused(b"\xff\xfe\x00binary", "text/plain")[0] == 422
    assert refused(b"", "application/pdf")[0] == 422
    status, detail = refused(PDF + b"0" * (MAX_DOCUMENT_BYTES - len(PDF) + 1), "application/pdf")
    assert status == 422 and "10 MB" in detail["errors"]["file"]  # type: ignore[index]
    assert refused(b"plain words", "text/plain; charset=utf-8")[0] == 201
    assert refused(PDF, "application/pdf", world["worker"])[0] == 403  # the Intake lane's task
    assert refused(PDF, "application/pdf", world["owner"])[0] == 403
    r = client.post(
        f"/api/v1/tasks/{task}/documents",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        data={"field": "not_on_the_form"},
        headers=intake,
    )
    assert r.status_code == 422 and "field" in r.json()["detail"]["errors"]
    r = client.post(f"/api/v1/tasks/{task}/documents", data={"field": "client_name"}, headers=intake)
    assert r.status_code == 422 and "file" in r.json()["detail"]["errors"]
    assert len(documents(svc)) == 1  # only the plain-text file


def test_a_body_past_the_upload_limit_is_413(client: TestClient, world: dict) -> None:  # type: ignore[type-arg]
    huge = b"%PDF-" + b"0" * (26 * 1024 * 1024)
    r = upload(client, world["register"], world["intake"], huge, "application/pdf")
    assert r.status_code == 413  # type: ignore[attr-defined]
