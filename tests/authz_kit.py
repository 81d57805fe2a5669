"""What the authorization matrices share (tests/reliability/test_authz_every_route.py,
tests/web/test_authz_api_matrix.py, tests/web/test_modeler_authz.py).

The roles and the rows of expected answers; the users, one per role, with bearer tokens for the API
and signed-in sessions for the pages; a world that makes fresh cases so that a state-changing cell's
answer depends on the role alone; and the JSON API cells both API matrices ask the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import files_of
from support_api import actor, case_with_flow, open_task, referral, to_assess

from services.context import Services
from services.inbox import InboxQuery, save_filter
from services.tasks import claim, complete_task
from services.users import add_user, issue_token

ROLES = (
    "referrer",
    "intake",
    "caseworker",
    "decider",
    "supervisor",
    "process_owner",
    "admin",
    "statistician",
    "anonymous",
)
SIGNED_IN = set(ROLES) - {"anonymous"}
CASE_READERS = {"intake", "caseworker", "decider", "supervisor"}
INBOX_USERS = {"referrer", "intake", "caseworker", "decider", "supervisor", "process_owner"}
TEAM_A = {"intake", "caseworker", "decider"}  # the case_flow cases belong to team A
PASSWORD = "a long enough test password 42"
PDF = b"%PDF-1.7\n%%EOF\n"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def api_expect(ok: int, allowed: set[str]) -> dict[str, int]:
    """JSON API: `ok` for the allowed roles, 401 without credentials, 403 for everyone else."""
    return {role: 401 if role == "anonymous" else ok if role in allowed else 403 for role in ROLES}


def page_expect(ok: int, allowed: set[str], *, denied: int = 403) -> dict[str, int]:
    """HTML page: `ok` for the allowed roles, a redirect to the sign-in page (303) without a session."""
    return {role: 303 if role == "anonymous" else ok if role in allowed else denied for role in ROLES}


def role_users(svc: Services, prefix: str = "u_") -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """One user per signed-in role (named prefix + role, with PASSWORD): their names and bearer headers."""
    names = {role: f"{prefix}{role}" for role in ROLES if role != "anonymous"}
    headers = {}
    for role, name in names.items():
        add_user(svc, name, [role], password=PASSWORD, team="A" if role in TEAM_A else None)
        headers[role] = {"Authorization": f"Bearer {issue_token(svc, name)}"}
    return names, headers


def signed_in(client: TestClient, username: str) -> None:
    """Sign `client` in through the real sign-in form."""
    token = CSRF_META.search(client.get("/login").text)
    assert token
    data = {"username": username, "password": PASSWORD, "__csrf": token.group(1)}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303, (username, response.status_code, response.text[:300])


@contextmanager
def page_clients(app: FastAPI, names: dict[str, str]) -> Iterator[dict[str, TestClient]]:
    """A browser per role: signed in as the role's user, or (anonymous) without a session."""
    with ExitStack() as stack:
        pages: dict[str, TestClient] = {}
        for role in ROLES:
            pages[role] = stack.enter_context(TestClient(app))
            if role != "anonymous":
                signed_in(pages[role], names[role])
        yield pages


@dataclass
class ApiWorld:
    """The users of every role and the API client; fresh case_flow cases on demand (team A)."""

    svc: Services
    api: TestClient
    headers: dict[str, dict[str, str]]
    names: dict[str, str]
    counter: Iterator[int]

    def fresh_case(self) -> tuple[int, int]:
        """(case id, instance id) of a new case."""
        return case_with_flow(self.svc, "A", reference=f"AUT-2026-{next(self.counter):06d}")

    def fresh_register(self) -> str:
        """The id of a new case's open `register` task (team A's, unclaimed)."""
        return open_task(self.svc, self.fresh_case()[1], "register")

    def call(self, role: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.api.request(method, url, headers=self.headers.get(role, {}), **kwargs)


Cell = Callable[[ApiWorld, str], httpx.Response]


# --- JSON API cells that both API matrices ask the same way -------------------------------------------


def api_get(url: str) -> Cell:
    return lambda w, role: w.call(role, "GET", url)


def api_claim(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "POST", f"/api/v1/tasks/{w.fresh_register()}/claim")


def api_unclaim(w: ApiWorld, role: str) -> httpx.Response:
    task = w.fresh_register()
    claim(w.svc, actor(w.svc, w.names["intake"]), task)
    return w.call(role, "POST", f"/api/v1/tasks/{task}/unclaim")


def api_assign(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "POST", f"/api/v1/tasks/{w.fresh_register()}/assign", json={"assignee": w.names["intake"]})


def api_draft(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "PUT", f"/api/v1/tasks/{w.fresh_register()}/draft", json={"data": {"client_name": "A"}})


def api_complete(w: ApiWorld, role: str) -> httpx.Response:
    data = {"data": {"client_name": "Anna", "received_on": "2026-03-01"}}
    return w.call(role, "POST", f"/api/v1/tasks/{w.fresh_register()}/complete", json=data)


def api_upload(w: ApiWorld, role: str) -> httpx.Response:
    files = {"file": ("a.pdf", PDF, "application/pdf")}
    url = f"/api/v1/tasks/{w.fresh_register()}/documents"
    return w.call(role, "POST", url, files=files, data={"field": "client_name"})


def api_message(w: ApiWorld, role: str) -> httpx.Response:
    """A message the assessed case waits for (the caseworker has done the assessment)."""
    case_id, instance = w.fresh_case()
    assess = to_assess(w.svc, instance, w.names["intake"])
    complete_task(w.svc, actor(w.svc, w.names["caseworker"]), assess, {"risk_level": 1})
    return w.call(role, "POST", f"/api/v1/cases/{case_id}/messages/police_report_filed", json={"payload": {}})


def api_save_filter(w: ApiWorld, role: str) -> httpx.Response:
    body = {"name": f"f{next(w.counter)}", "query": {"scope": "team"}}
    return w.call(role, "POST", "/api/v1/saved-filters", json=body)


def own_filter(w: ApiWorld, role: str) -> int:
    """A new saved filter of the role's user (roles without an inbox: an id that does not exist)."""
    if role in INBOX_USERS:
        return save_filter(w.svc, actor(w.svc, w.names[role]), f"f{next(w.counter)}", InboxQuery()).id
    return 999_999


def api_delete_filter(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "DELETE", f"/api/v1/saved-filters/{own_filter(w, role)}")


def api_deploy_dry_run(w: ApiWorld, role: str) -> httpx.Response:
    files = [("files", (f.name, f.content, "application/octet-stream")) for f in files_of("case_flow")]
    return w.call(role, "POST", "/api/v1/process-definitions?dry_run=true", files=files)


def api_start(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "POST", "/api/v1/process-instances", json={"process": "case_flow", "data": {}})


def api_referral(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "POST", "/api/v1/referrals", json=referral())
