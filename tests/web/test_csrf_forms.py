"""CSRF: every unsafe page route refuses a cookie-authenticated request without the session's token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from page_helpers import PASSWORD, csrf_in, make_user, page_client, page_token, post, post_form, sign_in
from sqlalchemy import func, select

from services.context import Services
from services.uow import UnitOfWork
from services.users import issue_token
from store.models import Team
from web.app import create_app
from web.sessions import SESSION_COOKIE


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
            yield from _routes(route.original_router.routes)


def _unsafe_page_routes(svc: Services) -> list[tuple[str, str]]:
    """Every POST/PUT/PATCH/DELETE route of the HTML pages (web.pages.*), with "1" for path parameters."""
    app = create_app(svc.settings, services=svc)
    found = []
    for route in _routes(app.routes):
        if route.endpoint.__module__.startswith("web.pages."):
            for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
                path = re.sub(r"\{[a-z_]+\}", "1", route.path)
                found.append((method, path))
    return found


def _teams(svc: Services) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalar(select(func.count(Team.id))) or 0


def test_every_unsafe_page_route_needs_the_token(svc: Services) -> None:
    make_user(svc, "root", ["admin", "supervisor", "caseworker"], team="Helsinki")
    routes = _unsafe_page_routes(svc)
    paths = {path for _method, path in routes}
    assert {"/login", "/logout", "/lang", "/tasks/1", "/tasks/1/claim", "/admin/users", "/admin/teams"} <= paths
    assert {"/inbox/filters", "/tasks/1/assign", "/admin/users/1/active", "/admin/users/1/password"} <= paths
    with page_client(svc) as client:
        sign_in(client, "root")
        for method, path in routes:
            for token in (None, "forged-token"):
                fields = {"name": "Oulu", "password": "x" * 20, "__csrf": token} if token else {"name": "Oulu"}
                r = client.request(method, path, data=fields, follow_redirects=False)
                assert r.status_code == 403, (method, path, token, r.status_code)
                assert "text/html" in r.headers["content-type"]
        assert _teams(svc) == 1  # nothing was created: only the user's own team exists
        assert client.get("/inbox").status_code == 200  # and the session survived
        good = post(client, "/admin/teams", {"name": "Oulu"})
        assert good.status_code == 303 and _teams(svc) == 2


def test_the_token_of_another_session_is_refused(svc: Services) -> None:
    make_user(svc, "root", ["admin"])
    make_user(svc, "other", ["admin"])
    with page_client(svc) as a, page_client(svc) as b:
        sign_in(a, "root")
        sign_in(b, "other")
        r = post_form(a, "/admin/teams", [("name", "Oulu"), ("__csrf", page_token(b, "/admin/users"))])
        assert r.status_code == 403
    assert _teams(svc) == 0


def test_htmx_sends_the_token_in_a_header(svc: Services) -> None:
    make_user(svc, "root", ["admin"])
    with page_client(svc) as client:
        sign_in(client, "root")
        token = page_token(client, "/admin/users")
        r = post_form(client, "/admin/teams", [("name", "Oulu")], headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert r.status_code == 303
    assert _teams(svc) == 1


def test_sign_in_needs_the_pre_session_token(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        r = post_form(client, "/login", [("username", "carl"), ("password", PASSWORD)])
        assert r.status_code == 403 and client.cookies.get(SESSION_COOKIE) is None
        r = post_form(client, "/login", [("username", "carl"), ("password", PASSWORD), ("__csrf", "0" * 64)])
        assert r.status_code == 403
    with page_client(svc) as a, page_client(svc) as b:
        foreign = csrf_in(b.get("/login").text)  # a valid token, but for b's cookie nonce
        a.get("/login")
        r = post_form(a, "/login", [("username", "carl"), ("password", PASSWORD), ("__csrf", foreign)])
        assert r.status_code == 403


def test_a_form_posted_after_the_session_ended_goes_to_sign_in(svc: Services) -> None:
    make_user(svc, "root", ["admin"])
    with page_client(svc) as client:
        sign_in(client, "root")
        token = page_token(client, "/admin/users")
        post(client, "/logout", {})
        client.cookies.set(SESSION_COOKIE, "an-ended-session", domain="testserver.local")
        r = post_form(client, "/admin/teams", [("name", "Oulu"), ("__csrf", token)])
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/teams&expired=1"
        assert "Istuntosi päättyi" in client.get(r.headers["location"]).text
    assert _teams(svc) == 0


def test_bearer_token_requests_are_exempt_and_cookie_api_calls_are_not(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    bearer = {"Authorization": f"Bearer {issue_token(svc, 'carl')}"}
    with page_client(svc) as client:
        r = client.post("/api/v1/saved-filters", json={"name": "mine", "query": {}}, headers=bearer)
        assert r.status_code == 201, r.text
        sign_in(client, "carl")
        r = client.post("/api/v1/saved-filters", json={"name": "again", "query": {}})
        assert r.status_code == 403 and r.json() == {"detail": "CSRF token missing or invalid"}


def test_a_malformed_multipart_body_is_refused_not_an_error(svc: Services) -> None:
    make_user(svc, "root", ["admin"])
    with page_client(svc) as client:
        sign_in(client, "root")
        headers = {"content-type": "multipart/form-data; boundary=xyz"}
        r = client.post("/admin/teams", content=b"--xyz\r\nnonsense", headers=headers, follow_redirects=False)
        assert r.status_code == 403
