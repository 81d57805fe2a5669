"""Error pages (HTML for pages, JSON for /api), static files, and the strict-CSP rules for our HTML."""

from __future__ import annotations

import re

import pytest
from page_helpers import (
    deploy_case_flow,
    make_case,
    make_user,
    open_task_id,
    page_client,
    sign_in,
    start_case_flow,
)

from services.context import Services
from web.pages import supervision
from web.pages.static_files import VENDOR


def test_unknown_pages_are_html_and_unknown_api_paths_are_json(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        r = client.get("/no/such/page")
        assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "Sivua ei löytynyt" in r.text
        r = client.get("/api/v1/no-such-thing")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        r = client.get("/api/v1/tasks")
        assert r.status_code == 401 and r.json()["detail"]
        sign_in(client, "carl")
        assert client.get("/tasks/not-a-task").status_code == 404
        r = client.get("/logout")
        assert r.status_code == 405 and "text/html" in r.headers["content-type"]
        r = client.get("/admin/users/not-a-number")
        assert r.status_code == 422 and "text/html" in r.headers["content-type"]


def test_an_unexpected_error_is_a_calm_500_page(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(svc, "sue", ["supervisor"])

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(supervision, "list_access", broken)
    with page_client(svc, raise_server_exceptions=False) as client:
        sign_in(client, "sue")
        r = client.get("/supervision/access-log")
        assert r.status_code == 500 and "text/html" in r.headers["content-type"]
        assert "Jokin meni vikaan" in r.text
        assert "secret internals" not in r.text and "Traceback" not in r.text
        assert "default-src 'self'" in r.headers["content-security-policy"]


def test_static_files_and_vendor_files(svc: Services) -> None:
    with page_client(svc) as client:
        login = client.get("/login").text
        css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', login)
        assert css
        r = client.get(css.group(1))
        assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
        assert client.get("/static/app.js").status_code == 200
        assert client.get("/static/vendor/evil.js").status_code == 404
        assert client.get("/static/../config/settings.py").status_code == 404
        htmx = svc.settings.project_root / "node_modules" / VENDOR["htmx.min.js"]
        if htmx.is_file():
            r = client.get("/static/vendor/htmx.min.js")
            assert r.status_code == 200 and "javascript" in r.headers["content-type"]


INLINE = (
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # an inline script
    re.compile(r"<style", re.I),
    re.compile(r"\sstyle=", re.I),
    re.compile(r"\son[a-z]+=", re.I),  # event handler attributes
    re.compile(r"javascript:", re.I),
)


def test_no_page_carries_inline_script_or_style(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "root", ["admin", "supervisor", "intake"], team="Helsinki")
    case_id = make_case(svc, "AUT-2026-000001", "Helsinki")
    task_id = open_task_id(start_case_flow(svc, case_id=case_id))
    with page_client(svc) as client:
        pages = [client.get("/login").text]
        sign_in(client, "root")
        for path in (
            "/inbox",
            "/inbox?view=all",
            "/inbox/table",
            f"/tasks/{task_id}",
            f"/cases/{case_id}",
            "/supervision/access-log",
            "/admin/users",
            "/admin/users/new",
            "/admin/teams",
            "/no/such/page",
        ):
            pages.append(client.get(path).text)
    for html in pages:
        for pattern in INLINE:
            assert not pattern.search(html), pattern.pattern
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in control or 'type="submit"' in control:
                continue
            control_id = re.search(r'\bid="([^"]+)"', control)
            assert control_id, control
            assert f'for="{control_id.group(1)}"' in html, f"no label for {control_id.group(1)}"
