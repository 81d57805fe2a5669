"""The authorization matrix: every /api/v1 route x every role (and no credentials), one expected status each.

Each cell gets its own fresh objects where the request changes state (a new case for every claim), so a
cell's answer depends only on the role. A process owner must never read case data (403 on cases,
tasks and documents); a referrer only submits referrals. The last test checks the matrix covers every
route the app serves under /api/v1, so a new route cannot ship without its row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from support import files_of
from support_api import actor, case_with_flow, deploy_case_flow, open_task, referral, to_assess, user
from test_modeler_authz import API_MATRIX as MODELER_API_MATRIX

from services.context import Services
from services.documents import store_document
from services.inbox import InboxQuery, save_filter
from services.instance_admin import suspend_instance
from services.tasks import claim, complete_task
from web.app import create_app

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
CASE_READERS = {"intake", "caseworker", "decider", "supervisor"}
INBOX_USERS = {"referrer", "intake", "caseworker", "decider", "supervisor", "process_owner"}
PDF = b"%PDF-1.7\n%%EOF\n"


def expect(ok: int, allowed: set[str]) -> dict[str, int]:
    """`ok` for the allowed roles, 401 without credentials, 403 for everyone else."""
    return {role: 401 if role == "anonymous" else ok if role in allowed else 403 for role in ROLES}


@dataclass
class World:
    svc: Services
    client: TestClient
    headers: dict[str, dict[str, str]]
    names: dict[str, str]
    counter: Iterator[int]

    def fresh_case(self) -> tuple[int, int]:
        return case_with_flow(self.svc, "A", reference=f"AUT-2026-{next(self.counter):06d}")

    def fresh_register(self) -> str:
        _case, instance = self.fresh_case()
        return open_task(self.svc, instance, "register")

    def call(self, role: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, headers=self.headers.get(role, {}), **kwargs)


@pytest.fixture
def world(svc: Services) -> Iterator[World]:
    deploy_case_flow(svc)
    names = {role: f"u_{role}" for role in ROLES if role != "anonymous"}
    headers = {
        role: user(svc, name, [role], team="A" if role in ("intake", "caseworker", "decider") else None)
        for role, name in names.items()
    }
    with TestClient(create_app(svc.settings, services=svc)) as client:
        yield World(svc, client, headers, names, itertools.count(1))


Cell = Callable[[World, str], httpx.Response]


def _claim(w: World, role: str) -> httpx.Response:
    return w.call(role, "POST", f"/api/v1/tasks/{w.fresh_register()}/claim")


def _unclaim(w: World, role: str) -> httpx.Response:
    task = w.fresh_register()
    claim(w.svc, actor(w.svc, w.names["intake"]), task)
    return w.call(role, "POST", f"/api/v1/tasks/{task}/unclaim")


def _assign(w: World, role: str) -> httpx.Response:
    return w.call(role, "POST", f"/api/v1/tasks/{w.fresh_register()}/assign", json={"assignee": w.names["intake"]})


def _draft(w: World, role: str) -> httpx.Response:
    return w.call(role, "PUT", f"/api/v1/tasks/{w.fresh_register()}/draft", json={"data": {"client_name": "A"}})


def _complete(w: World, role: str) -> httpx.Response:
    data = {"data": {"client_name": "Anna", "received_on": "2026-03-01"}}
    return w.call(role, "POST", f"/api/v1/tasks/{w.fresh_register()}/complete", json=data)


def _read_task(w: World, role: str) -> httpx.Response:
    return w.call(role, "GET", f"/api/v1/tasks/{w.fresh_register()}")


def _upload(w: World, role: str) -> httpx.Response:
    files = {"file": ("a.pdf", PDF, "application/pdf")}
    return w.call(
        role, "POST", f"/api/v1/tasks/{w.fresh_register()}/documents", files=files, data={"field": "client_name"}
    )


def _download(w: World, role: str) -> httpx.Response:
    intake = actor(w.svc, w.names["intake"])
    doc = store_document(w.svc, intake, w.fresh_register(), "client_name", "a.pdf", "application/pdf", PDF)
    return w.call(role, "GET", f"/api/v1/documents/{doc.public_id}")


def _read_case(w: World, role: str) -> httpx.Response:
    case_id, _instance = w.fresh_case()
    return w.call(role, "GET", f"/api/v1/cases/{case_id}")


def _message(w: World, role: str) -> httpx.Response:
    case_id, instance = w.fresh_case()
    assess = to_assess(w.svc, instance, w.names["intake"])
    complete_task(w.svc, actor(w.svc, w.names["caseworker"]), assess, {"risk_level": 1})
    return w.call(role, "POST", f"/api/v1/cases/{case_id}/messages/police_report_filed", json={"payload": {}})


def _save_filter(w: World, role: str) -> httpx.Response:
    body = {"name": f"f{next(w.counter)}", "query": {"scope": "team"}}
    return w.call(role, "POST", "/api/v1/saved-filters", json=body)


def _delete_filter(w: World, role: str) -> httpx.Response:
    filter_id = 999_999
    if role in INBOX_USERS:
        filter_id = save_filter(w.svc, actor(w.svc, w.names[role]), f"f{next(w.counter)}", InboxQuery()).id
    return w.call(role, "DELETE", f"/api/v1/saved-filters/{filter_id}")


def _deploy_dry_run(w: World, role: str) -> httpx.Response:
    files = [("files", (f.name, f.content, "application/octet-stream")) for f in files_of("case_flow")]
    return w.call(role, "POST", "/api/v1/process-definitions?dry_run=true", files=files)


def _start(w: World, role: str) -> httpx.Response:
    return w.call(role, "POST", "/api/v1/process-instances", json={"process": "case_flow", "data": {}})


def _read_instance(w: World, role: str) -> httpx.Response:
    _case, instance = w.fresh_case()
    return w.call(role, "GET", f"/api/v1/process-instances/{instance}")


def _instance_action(action: str) -> Cell:
    def cell(w: World, role: str) -> httpx.Response:
        _case, instance = w.fresh_case()
        if action == "resume":
            suspend_instance(w.svc, actor(w.svc, w.names["supervisor"]), instance, "held for the matrix")
        return w.call(role, "POST", f"/api/v1/process-instances/{instance}/{action}", json={"reason": "matrix test"})

    return cell


def _get(url: str) -> Cell:
    return lambda w, role: w.call(role, "GET", url)


MATRIX: dict[tuple[str, str], tuple[Cell, dict[str, int]]] = {
    ("GET", "/api/v1/tasks"): (_get("/api/v1/tasks?scope=mine"), expect(200, INBOX_USERS)),
    ("GET", "/api/v1/tasks/{task_id}"): (_read_task, expect(200, {"intake", "supervisor"})),
    ("POST", "/api/v1/tasks/{task_id}/claim"): (_claim, expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/unclaim"): (_unclaim, expect(200, {"intake", "supervisor"})),
    ("POST", "/api/v1/tasks/{task_id}/assign"): (_assign, expect(200, {"supervisor"})),
    ("PUT", "/api/v1/tasks/{task_id}/draft"): (_draft, expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/complete"): (_complete, expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/documents"): (_upload, expect(201, {"intake"})),
    ("GET", "/api/v1/documents/{public_id}"): (_download, expect(200, CASE_READERS)),
    ("GET", "/api/v1/cases/{case_id}"): (_read_case, expect(200, CASE_READERS)),
    ("POST", "/api/v1/cases/{case_id}/messages/{name}"): (_message, expect(200, CASE_READERS)),
    ("GET", "/api/v1/access-log"): (_get("/api/v1/access-log"), expect(200, {"supervisor"})),
    ("GET", "/api/v1/saved-filters"): (_get("/api/v1/saved-filters"), expect(200, INBOX_USERS)),
    ("POST", "/api/v1/saved-filters"): (_save_filter, expect(201, INBOX_USERS)),
    ("DELETE", "/api/v1/saved-filters/{filter_id}"): (_delete_filter, expect(204, INBOX_USERS)),
    ("POST", "/api/v1/referrals"): (
        lambda w, role: w.call(role, "POST", "/api/v1/referrals", json=referral()),
        expect(201, {"referrer", "intake", "supervisor"}),
    ),
    ("GET", "/api/v1/process-definitions"): (
        _get("/api/v1/process-definitions"),
        expect(200, {"process_owner", "supervisor", "admin"}),
    ),
    ("POST", "/api/v1/process-definitions"): (_deploy_dry_run, expect(200, {"process_owner"})),
    ("GET", "/api/v1/statistics/annual/{year}"): (
        _get("/api/v1/statistics/annual/2026"),
        expect(200, {"supervisor", "statistician"}),
    ),
    ("POST", "/api/v1/process-instances"): (_start, expect(201, {"process_owner", "supervisor"})),
    ("GET", "/api/v1/process-instances/{instance_id}"): (_read_instance, expect(200, {"process_owner", "supervisor"})),
    ("GET", "/api/v1/process-instances"): (
        _get("/api/v1/process-instances?state=open"),
        expect(200, {"process_owner", "supervisor"}),
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/suspend"): (
        _instance_action("suspend"),
        expect(200, {"supervisor"}),
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/resume"): (
        _instance_action("resume"),
        expect(200, {"supervisor"}),
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/cancel"): (
        _instance_action("cancel"),
        expect(200, {"supervisor"}),
    ),
}

# Beyond one route per row: the supervisor-only scope of the inbox.
EXTRA: dict[str, tuple[Cell, dict[str, int]]] = {
    "GET /api/v1/tasks?scope=all": (_get("/api/v1/tasks?scope=all"), expect(200, {"supervisor"})),
}


def test_authorization_matrix(world: World) -> None:
    wrong = []
    rows = {f"{m} {p}": row for (m, p), row in MATRIX.items()} | EXTRA
    for route, (cell, expected) in rows.items():
        for role in ROLES:
            response = cell(world, role)
            if response.status_code != expected[role]:
                wrong.append(f"{route} as {role}: {response.status_code} (expected {expected[role]}) {response.text}")
    assert wrong == []


# Routes whose hand-written rows live with their feature's tests; tests/reliability/test_authz_every_route.py
# additionally sweeps every route of the app for every role, so no route goes unchecked.
ELSEWHERE_PREFIXES = (
    "/api/v1/cases/{case_id}/protection",
    "/api/v1/cases/{case_id}/named-users",
    "/api/v1/cases/{case_id}/break-glass",
    "/api/v1/cases/{case_id}/disclosures",
    "/api/v1/cases/{case_id}/consent-withdrawal",
    "/api/v1/cases/{case_id}/legal-holds",
    "/api/v1/cases/{case_id}/subject-export",
    "/api/v1/legal-holds",
    "/api/v1/retention",
    "/api/v1/duplicates",
    "/api/v1/consultations",  # tests/web/test_consultations_http.py
    "/api/v1/cases/{case_id}/decisions",  # decision letters: tests/web/test_decision_letter_http.py
    "/api/v1/process-instances",
    "/api/v1/monitoring",
)


def test_the_matrix_covers_every_api_route(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    served = {(method.upper(), path) for path, ops in paths.items() if path.startswith("/api/v1") for method in ops}
    covered = set(MATRIX) | set(MODELER_API_MATRIX)  # the process editor's routes: test_modeler_authz
    assert covered <= served
    missing = {r for r in served - covered if not r[1].startswith(ELSEWHERE_PREFIXES)}
    assert missing == set()
