"""The case lists its documents (page and API); a completed task shows the values it was completed with,
read-only, to its completer and supervisors; form errors come in the page's language."""

from __future__ import annotations

import re

from page_helpers import (
    deploy_case_flow,
    make_case,
    make_user,
    open_task_id,
    page_client,
    page_token,
    post,
    sign_in,
    start_case_flow,
)
from sqlalchemy import select
from support_api import actor, to_assess

from services.context import Services
from services.documents import store_document
from services.task_detail import read_task
from services.tasks import complete_task
from services.uow import UnitOfWork
from services.users import issue_token
from store.models import HumanTask

REGISTER = {"client_name": "Anna Example", "received_on": "2026-02-27", "urgent": "true", "__action": "complete"}


def _english(client: object) -> None:
    client.post("/lang", data={"lang": "en", "__csrf": page_token(client), "next": "/"})  # type: ignore[attr-defined]


def test_the_case_lists_its_documents_with_download_links(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"], team="Helsinki")
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    case_id = make_case(svc, "AUT-2026-000042", "Helsinki")
    task_id = open_task_id(start_case_flow(svc, case_id=case_id))
    info = store_document(svc, actor(svc, "ida"), task_id, "client_name", "Lausunto <b>.txt", "text/plain", b"hello")
    with page_client(svc) as client:
        sign_in(client, "carl")
        html = client.get(f"/cases/{case_id}").text
        row = re.search(r'<tr data-testid="case-document">(.*?)</tr>', html, re.S)
        assert row, html
        cells = row.group(1)
        assert f'href="/api/v1/documents/{info.public_id}"' in cells and "Lausunto &lt;b&gt;.txt" in cells
        assert "client_name" in cells and "Register the case" in cells and "ida" in cells
        assert info.sha256[:12] in cells and "text/plain" in cells
        download = client.get(f"/api/v1/documents/{info.public_id}")  # the link works with the session
        assert download.status_code == 200 and download.content == b"hello"
        case = client.get(f"/api/v1/cases/{case_id}").json()
    [doc] = case["documents"]
    assert doc["id"] == info.public_id and doc["sha256"] == info.sha256 and doc["size"] == 5
    assert doc["filename"] == "Lausunto <b>.txt" and doc["content_type"] == "text/plain"
    assert doc["field"] == "client_name" and doc["task_id"] == task_id and doc["task_title"] == "Register the case"
    assert doc["uploaded_by"] == "ida" and doc["uploaded_at"].startswith("2026-03-02T09:00")
    assert "content" not in doc


def test_a_case_without_documents_says_so(svc: Services) -> None:
    make_user(svc, "sue", ["supervisor"])
    case_id = make_case(svc, "AUT-2026-000043", "Helsinki")
    with page_client(svc) as client:
        sign_in(client, "sue")
        _english(client)
        assert "No documents." in client.get(f"/cases/{case_id}").text
        assert client.get(f"/api/v1/cases/{case_id}").json()["documents"] == []


def test_a_completed_task_shows_its_values_read_only_to_its_completer_and_supervisors(svc: Services) -> None:
    deploy_case_flow(svc)
    for name, roles in (("ida", ["intake"]), ("ines", ["intake"]), ("sue", ["supervisor"])):
        make_user(svc, name, roles)
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        _english(client)
        assert post(client, f"/tasks/{task_id}", REGISTER).status_code == 303
        html = client.get(f"/tasks/{task_id}").text
        assert 'data-testid="completed-values"' in html and 'data-testid="readonly-form"' in html
        assert 'value="Anna Example"' in html and 'value="2026-02-27"' in html
        assert 'id="task-complete"' not in html and 'id="task-save-draft"' not in html
        api = client.get(f"/api/v1/tasks/{task_id}").json()
        assert api["read_only"] is True and api["status"] == "completed"
        assert api["data"] == {"client_name": "Anna Example", "received_on": "2026-02-27", "urgent": True}
    supervisor = read_task(svc, actor(svc, "sue"), task_id, via="api")
    # a value the form came pre-filled with, submitted unchanged, is one of the values it was completed with
    assert start_case_flow(svc, received_on="2026-02-27") is not None
    prefilled = next(t for t in _open_register_tasks(svc) if t != task_id)
    complete_task(svc, actor(svc, "ida"), prefilled, {"client_name": "Ben", "received_on": "2026-02-27"})
    assert read_task(svc, actor(svc, "ida"), prefilled, via="api").data["received_on"] == "2026-02-27"
    assert supervisor.read_only and supervisor.data["client_name"] == "Anna Example"
    other = read_task(svc, actor(svc, "ines"), task_id, via="api")  # may open it (same lane), sees no values
    assert other.read_only and other.data == {}
    with page_client(svc) as client:
        sign_in(client, "ines")
        _english(client)
        html = client.get(f"/tasks/{task_id}").text
        assert 'data-testid="completed-values-hidden"' in html and "Anna Example" not in html


def _open_register_tasks(svc: Services) -> list[str]:
    with UnitOfWork(svc.sessions) as uow:
        return list(
            uow.session.scalars(select(HumanTask.id).where(HumanTask.bpmn_id == "register", HumanTask.status == "open"))
        )


def test_an_open_task_is_not_read_only(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    task_id = open_task_id(start_case_flow(svc))
    view = read_task(svc, actor(svc, "ida"), task_id, via="api")
    assert not view.read_only and view.data["received_on"] == "2026-03-01"


def test_form_errors_come_in_the_pages_language_and_the_api_keeps_english(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    make_user(svc, "carl", ["caseworker"])
    assess = to_assess(svc, start_case_flow(svc).id, "ida")
    with page_client(svc) as client:
        sign_in(client, "carl")  # Finnish by default
        r = post(client, f"/tasks/{assess}", {"risk_level": "9", "__action": "complete"})
        assert r.status_code == 422
        assert '<p class="field__error" id="f-risk_level-error" role="alert">Enintään 5.</p>' in r.text
        _english(client)
        r = post(client, f"/tasks/{assess}", {"risk_level": "0", "__action": "complete"})
        assert '<p class="field__error" id="f-risk_level-error" role="alert">Must be at least 1.</p>' in r.text
        headers = {"Authorization": f"Bearer {issue_token(svc, 'carl')}"}
        r = client.post(f"/api/v1/tasks/{assess}/complete", json={"data": {"risk_level": 9}}, headers=headers)
        assert r.status_code == 422 and r.json()["detail"]["errors"] == {"risk_level": "Must be at most 5."}
    result = complete_task(svc, actor(svc, "carl"), assess, {"risk_level": 3})
    assert result.instance_status in ("running", "completed")
