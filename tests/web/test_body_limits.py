"""Request body limits: a task page may post a 10 MB document; past a limit, pages get an HTML 413 and
/api keeps its JSON 413, whether the size was declared or the body streamed in chunks."""

from __future__ import annotations

from collections.abc import Iterator

from page_helpers import make_user, page_client, page_token, sign_in
from support_api import case_with_flow, deploy_case_flow, open_task, user

from services.context import Services
from services.documents import MAX_DOCUMENT_BYTES
from web.security import MAX_BODY_BYTES, MAX_TASK_PAGE_BYTES


def _chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"a" * part


def _register(svc: Services) -> str:
    deploy_case_flow(svc)
    _case_id, instance_id = case_with_flow(svc, "Helsinki", reference="AUT-2026-000050")
    return open_task(svc, instance_id, "register")


def test_a_task_page_may_post_a_ten_megabyte_document(svc: Services) -> None:
    task_id = _register(svc)
    make_user(svc, "ida", ["intake"], team="Helsinki")
    assert MAX_TASK_PAGE_BYTES >= MAX_DOCUMENT_BYTES + 64 * 1024 > MAX_BODY_BYTES
    with page_client(svc) as client:
        sign_in(client, "ida")
        token = page_token(client, f"/tasks/{task_id}")
        content = b"x" * MAX_DOCUMENT_BYTES  # exactly the documents limit, over the ordinary 2 MB
        files = {"__file__.client_name": ("big.txt", content, "text/plain")}
        data = {"__csrf": token, "__action": "draft", "received_on": "2026-03-01"}
        r = client.post(f"/tasks/{task_id}", data=data, files=files, follow_redirects=False)
        assert r.status_code == 303, r.text[:500]


def test_an_oversized_task_page_post_gets_an_html_413(svc: Services) -> None:
    task_id = _register(svc)
    make_user(svc, "ida", ["intake"], team="Helsinki")
    with page_client(svc) as client:
        sign_in(client, "ida")
        token = page_token(client, f"/tasks/{task_id}")
        files = {"__file__.client_name": ("huge.txt", b"x" * (MAX_TASK_PAGE_BYTES + 1), "text/plain")}
        r = client.post(f"/tasks/{task_id}", data={"__csrf": token}, files=files, follow_redirects=False)
        assert r.status_code == 413
        assert r.headers["content-type"].startswith("text/html")
        assert 'data-testid="error-title"' in r.text and "Traceback" not in r.text
        assert r.headers["x-frame-options"] == "DENY" and "default-src 'self'" in r.headers["content-security-policy"]
        # streamed without a Content-Length: the CSRF check reads the body and meets the limit
        r = client.post(
            f"/tasks/{task_id}",
            content=_chunks(MAX_TASK_PAGE_BYTES + 1),
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")


def test_other_pages_keep_the_two_megabyte_limit_in_html(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        client.post("/lang", data={"lang": "en", "__csrf": page_token(client), "next": "/"})
        body = b"name=x&query=" + b"a" * (MAX_BODY_BYTES + 1)
        r = client.post("/inbox/filters", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        assert "The upload is too large" in r.text and "2.0 MB" in r.text
        # a task's sub-routes are ordinary forms
        r = client.post("/tasks/x/claim", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413


def test_the_api_keeps_json_413_declared_or_streamed(svc: Services) -> None:
    task_id = _register(svc)
    owner = user(svc, "olga", ["process_owner"])
    intake = user(svc, "ida", ["intake"], team="Helsinki")
    with page_client(svc) as client:
        r = client.post(
            "/api/v1/process-instances",
            content=b"x" * (MAX_BODY_BYTES + 1),
            headers={**owner, "content-type": "application/json"},
        )
        assert r.status_code == 413 and "too large" in r.json()["detail"]
        r = client.post(
            "/api/v1/process-instances",
            content=_chunks(MAX_BODY_BYTES + 1),
            headers={**owner, "content-type": "application/json"},
        )
        assert r.status_code == 413 and "too large" in r.json()["detail"]
        r = client.post(
            f"/api/v1/tasks/{task_id}/complete",
            content=_chunks(MAX_BODY_BYTES + 1),
            headers={**intake, "content-type": "application/json"},
        )
        assert r.status_code == 413 and r.headers["content-type"] == "application/json"


def test_a_nul_in_the_request_is_refused_with_the_usual_security_headers(svc: Services) -> None:
    """A NUL anywhere in the path or query is refused before the app runs; the refusal still carries
    no-store and the CSP, like every other answer (on the public referral form above all)."""
    with page_client(svc) as client:
        for url in ("/refer?x=%00", "/api/v1/tasks?scope=%00"):
            r = client.get(url)
            assert r.status_code == 422 and "NUL" in r.json()["detail"], url
            assert (
                r.headers["cache-control"] == "no-store"
                and "default-src 'self'" in r.headers["content-security-policy"]
            )
