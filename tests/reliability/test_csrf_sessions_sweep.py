"""Systematic sweep of CSRF and session handling over every state-changing route, generated from
app.routes (the HTML engineer's tests check single forms; this checks that no route is missed).

For every POST/PUT/PATCH/DELETE route, with a signed-in session (cookie) that holds every role:
no token, a wrong token, another session's token and the pre-session token are all refused with 403
and change nothing; the session's own token (form field or X-CSRF-Token header) gets past the check.
Session fixation: a cookie planted before signing in is never adopted; signing in again replaces the
session; signing out ends it on the server, not only in the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support_api import case_with_flow, deploy_case_flow, open_task

from services.context import Services
from services.uow import UnitOfWork
from services.users import add_user
from store.models import AuditEvent, HumanTask, SavedFilter, Team, User, WebSession
from web.app import create_app
from web.sessions import SESSION_COOKIE

PASSWORD = "a long enough test password 42"
ALL_ROLES = ["referrer", "intake", "caseworker", "decider", "supervisor", "process_owner", "admin", "statistician"]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC_FORMS = {"/login", "/lang", "/logout"}  # no session needed; they take the pre-session token


def _sign_in(client: TestClient, username: str) -> str:
    token = CSRF_META.search(client.get("/login").text)
    assert token
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "__csrf": token.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:300]
    session = client.cookies.get(SESSION_COOKIE)
    assert session
    return session


def _token(client: TestClient, path: str = "/supervision/access-log") -> str:
    found = CSRF_META.search(client.get(path, follow_redirects=False).text)
    assert found
    return found.group(1)


def _state(svc: Services) -> tuple[int, ...]:
    """Counts that any accepted state change would move."""
    with UnitOfWork(svc.sessions) as uow:
        s = uow.session
        return (
            s.scalar(select(func.count(AuditEvent.id))) or 0,
            s.scalar(select(func.count(User.id))) or 0,
            s.scalar(select(func.count(Team.id))) or 0,
            s.scalar(select(func.count(SavedFilter.id))) or 0,
            s.scalar(select(func.count(HumanTask.id)).where(HumanTask.assignee.is_not(None))) or 0,
            s.scalar(select(func.count(WebSession.id))) or 0,
        )


@pytest.fixture
def app_and_task(svc: Services) -> Iterator[tuple[Any, str]]:
    deploy_case_flow(svc)
    add_user(svc, "root", ALL_ROLES, password=PASSWORD, team="A")
    add_user(svc, "other", ["caseworker"], password=PASSWORD, team="A")
    _case, instance = case_with_flow(svc, "A", reference="AUT-2026-000001")
    yield create_app(svc.settings, services=svc), open_task(svc, instance, "register")


def _unsafe_routes(app: Any, task: str) -> list[tuple[str, str]]:
    concrete = {"task_id": task, "user_id": "1", "team_id": "1", "filter_id": "1", "case_id": "1", "name": "x"}
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(set(route.methods or ()) & UNSAFE):
            path = re.sub(r"\{(\w+)\}", lambda m: concrete.get(m.group(1), "1"), route.path)
            found.append((method, path))
    return found


def test_every_state_changing_route_refuses_a_missing_or_foreign_csrf_token(
    svc: Services, app_and_task: tuple[Any, str]
) -> None:
    app, task = app_and_task
    routes = _unsafe_routes(app, task)
    assert len(routes) >= 25
    with TestClient(app) as victim, TestClient(app) as attacker, TestClient(app) as stranger:
        _sign_in(victim, "root")
        _sign_in(attacker, "other")
        own, foreign, pre_session = _token(victim), _token(attacker), _token(stranger, "/login")
        before = _state(svc)
        accepted = []
        for method, path in routes:
            for label, token in (("none", None), ("wrong", "x" * 43), ("foreign", foreign), ("pre", pre_session)):
                data = {"__csrf": token} if token else {}
                headers = {"X-CSRF-Token": token} if token and method != "POST" else {}
                r = victim.request(method, path, data=data or None, headers=headers, follow_redirects=False)
                if r.status_code != 403:
                    accepted.append(f"{method} {path} with {label} token: {r.status_code}")
        assert accepted == []
        assert _state(svc) == before, "a refused request changed something"
        # The session's own token gets past the check (the route then answers for itself).
        for method, path in routes:
            by_header = victim.request(method, path, headers={"X-CSRF-Token": own}, follow_redirects=False)
            assert by_header.status_code != 403 or "CSRF" not in by_header.text, (method, path)
    print(f"\n[csrf] {len(routes)} state-changing routes x 4 bad tokens: all 403, nothing changed")


def test_an_api_call_with_a_session_cookie_needs_the_csrf_header(svc: Services, app_and_task: tuple[Any, str]) -> None:
    app, task = app_and_task
    with TestClient(app) as client:
        _sign_in(client, "root")
        refused = client.post(f"/api/v1/tasks/{task}/claim")
        assert refused.status_code == 403 and refused.json()["detail"]
        allowed = client.post(f"/api/v1/tasks/{task}/claim", headers={"X-CSRF-Token": _token(client)})
        assert allowed.status_code == 200


def test_session_fixation_and_sign_out(svc: Services, app_and_task: tuple[Any, str]) -> None:
    app, _task = app_and_task
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker-" + "x" * 20, domain="testserver.local")
        first = _sign_in(client, "root")
        assert first != "planted-by-an-attacker-" + "x" * 20
        second = _sign_in(client, "root")
        assert second != first
        with TestClient(app) as replay:  # the replaced session's cookie no longer works
            replay.cookies.set(SESSION_COOKIE, first)
            assert replay.get("/inbox", follow_redirects=False).status_code == 303
        token = _token(client)
        assert client.post("/logout", data={"__csrf": token}, follow_redirects=False).status_code == 303
        with TestClient(app) as replay:  # signed out on the server, not only in this browser
            replay.cookies.set(SESSION_COOKIE, second)
            r = replay.get("/inbox", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count(WebSession.id))) == 0
