"""Helpers for the HTML page tests: users, signing in through the real form, CSRF tokens, cases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi.testclient import TestClient
from support import OWNER, files_of

from services.context import Services
from services.deploy import deploy
from services.instances import InstanceInfo, start_instance
from services.uow import UnitOfWork
from services.users import add_user
from store.models import Case, Team
from web.app import create_app

PASSWORD = "correct horse battery staple"
_CSRF_FIELD = re.compile(r'name="__csrf" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@contextmanager
def page_client(svc: Services, **kwargs: Any) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc), **kwargs) as client:
        yield client


def make_user(svc: Services, name: str, roles: list[str], team: str | None = None) -> None:
    add_user(svc, name, roles, password=PASSWORD, team=team, display_name=name.title())


def csrf_in(html: str) -> str:
    """The first hidden __csrf value of a page."""
    found = _CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def page_token(client: TestClient, path: str = "/inbox") -> str:
    """The session's CSRF token, as the page's <meta> tag carries it for htmx."""
    response = client.get(path)
    found = _CSRF_META.search(response.text)
    assert found, f"no csrf meta on {path} ({response.status_code})"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_path: str = "") -> httpx.Response:
    """Sign in through the real form (GET for the pre-session token, then POST)."""
    token = csrf_in(client.get("/login").text)
    data = {"username": username, "password": password, "__csrf": token, "next": next_path}
    return client.post("/login", data=data, follow_redirects=False)


def post(client: TestClient, path: str, data: dict[str, Any] | list[tuple[str, str]], **kwargs: Any) -> httpx.Response:
    """A form POST carrying the session's CSRF token (taken from the inbox page unless `token_from` says)."""
    token = page_token(client, kwargs.pop("token_from", "/inbox"))
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    return post_form(client, path, [*pairs, ("__csrf", token)], **kwargs)


def post_form(client: TestClient, path: str, pairs: list[tuple[str, Any]], **kwargs: Any) -> httpx.Response:
    """POST url-encoded pairs as given (repeated names allowed), without following redirects."""
    headers = {"content-type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})}
    return client.post(path, content=urlencode(pairs), headers=headers, follow_redirects=False, **kwargs)


def session_cookie(client: TestClient) -> str | None:
    return client.cookies.get("auttamo_session")


def deploy_case_flow(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))


def make_case(svc: Services, reference: str, team: str | None, client: dict[str, Any] | None = None) -> int:
    """A case row owned by `team` (created if needed), with client facts."""
    with UnitOfWork(svc.sessions, write=True) as uow:
        team_id = None
        if team is not None:
            row = uow.session.query(Team).filter_by(name=team).first()
            if row is None:
                row = Team(name=team)
                uow.session.add(row)
                uow.session.flush()
            team_id = row.id
        case = Case(reference=reference, team_id=team_id, status="open", facts={"client": client or {}})
        uow.session.add(case)
        uow.commit()
        return case.id


def start_case_flow(svc: Services, case_id: int | None = None, received_on: str = "2026-03-01") -> InstanceInfo:
    return start_instance(svc, OWNER, "case_flow", {"received_on": received_on}, case_id=case_id)


def open_task_id(info: InstanceInfo) -> str:
    task_id: str = info.open_tasks[0]["id"]
    return task_id
