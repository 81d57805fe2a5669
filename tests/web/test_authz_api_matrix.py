"""The authorization matrix: every /api/v1 route x every role (and no credentials), one expected status each.

Each cell gets its own fresh objects where the request changes state (a new case for every claim), so a
cell's answer depends only on the role. A process owner must never read case data (403 on cases,
tasks and documents); a referrer only submits referrals. The last test checks the matrix covers every
route the app serves under /api/v1, so a new route cannot ship without its row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
from authz_kit import (
    CASE_READERS,
    INBOX_USERS,
    PDF,
    ROLES,
    ApiWorld,
    Cell,
    api_assign,
    api_claim,
    api_complete,
    api_delete_filter,
    api_deploy_dry_run,
    api_draft,
    api_expect,
    api_get,
    api_message,
    api_referral,
    api_save_filter,
    api_start,
    api_unclaim,
    api_upload,
    role_users,
)
from fastapi.testclient import TestClient
from support_api import actor, deploy_case_flow
from test_modeler_authz import API_MATRIX as MODELER_API_MATRIX

from services.context import Services
from services.documents import store_document
from services.instance_admin import suspend_instance
from web.app import create_app


@pytest.fixture
def world(svc: Services) -> Iterator[ApiWorld]:
    deploy_case_flow(svc)
    names, headers = role_users(svc)
    with TestClient(create_app(svc.settings, services=svc)) as client:
        yield ApiWorld(svc, client, headers, names, itertools.count(1))


def _read_task(w: ApiWorld, role: str) -> httpx.Response:
    return w.call(role, "GET", f"/api/v1/tasks/{w.fresh_register()}")


def _download(w: ApiWorld, role: str) -> httpx.Response:
    intake = actor(w.svc, w.names["intake"])
    doc = store_document(w.svc, intake, w.fresh_register(), "client_name", "a.pdf", "application/pdf", PDF)
    return w.call(role, "GET", f"/api/v1/documents/{doc.public_id}")


def _read_case(w: ApiWorld, role: str) -> httpx.Response:
    case_id, _instance = w.fresh_case()
    return w.call(role, "GET", f"/api/v1/cases/{case_id}")


def _read_instance(w: ApiWorld, role: str) -> httpx.Response:
    _case, instance = w.fresh_case()
    return w.call(role, "GET", f"/api/v1/process-instances/{instance}")


def _instance_action(action: str) -> Cell:
    def cell(w: ApiWorld, role: str) -> httpx.Response:
        _case, instance = w.fresh_case()
        if action == "resume":
            suspend_instance(w.svc, actor(w.svc, w.names["supervisor"]), instance, "held for the matrix")
        return w.call(role, "POST", f"/api/v1/process-instances/{instance}/{action}", json={"reason": "matrix test"})

    return cell


MATRIX: dict[tuple[str, str], tuple[Cell, dict[str, int]]] = {
    ("GET", "/api/v1/tasks"): (api_get("/api/v1/tasks?scope=mine"), api_expect(200, INBOX_USERS)),
    ("GET", "/api/v1/tasks/{task_id}"): (_read_task, api_expect(200, {"intake", "supervisor"})),
    ("POST", "/api/v1/tasks/{task_id}/claim"): (api_claim, api_expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/unclaim"): (api_unclaim, api_expect(200, {"intake", "supervisor"})),
    ("POST", "/api/v1/tasks/{task_id}/assign"): (api_assign, api_expect(200, {"supervisor"})),
    ("PUT", "/api/v1/tasks/{task_id}/draft"): (api_draft, api_expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/complete"): (api_complete, api_expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/documents"): (api_upload, api_expect(201, {"intake"})),
    ("GET", "/api/v1/documents/{public_id}"): (_download, api_expect(200, CASE_READERS)),
    ("GET", "/api/v1/cases/{case_id}"): (_read_case, api_expect(200, CASE_READERS)),
    ("POST", "/api/v1/cases/{case_id}/messages/{name}"): (api_message, api_expect(200, CASE_READERS)),
    ("GET", "/api/v1/access-log"): (api_get("/api/v1/access-log"), api_expect(200, {"supervisor"})),
    ("GET", "/api/v1/saved-filters"): (api_get("/api/v1/saved-filters"), api_expect(200, INBOX_USERS)),
    ("POST", "/api/v1/saved-filters"): (api_save_filter, api_expect(201, INBOX_USERS)),
    ("DELETE", "/api/v1/saved-filters/{filter_id}"): (api_delete_filter, api_expect(204, INBOX_USERS)),
    ("POST", "/api/v1/referrals"): (api_referral, api_expect(201, {"referrer", "intake", "supervisor"})),
    ("GET", "/api/v1/process-definitions"): (
        api_get("/api/v1/process-definitions"),
        api_expect(200, {"process_owner", "supervisor", "admin"}),
    ),
    ("POST", "/api/v1/process-definitions"): (api_deploy_dry_run, api_expect(200, {"process_owner"})),
    ("GET", "/api/v1/statistics/annual/{year}"): (
        api_get("/api/v1/statistics/annual/2026"),
        api_expect(200, {"supervisor", "statistician"}),
    ),
    ("POST", "/api/v1/process-instances"): (api_start, api_expect(201, {"process_owner", "supervisor"})),
    ("GET", "/api/v1/process-instances/{instance_id}"): (
        _read_instance,
        api_expect(200, {"process_owner", "supervisor"}),
    ),
    ("GET", "/api/v1/process-instances"): (
        api_get("/api/v1/process-instances?state=open"),
        api_expect(200, {"process_owner", "supervisor"}),
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/suspend"): (
        _instance_action("suspend"),
        api_expect(200, {"supervisor"}),
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/resume"): (
        _instance_action("resume"),
        api_expect(200, {"supervisor"}),
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/cancel"): (
        _instance_action("cancel"),
        api_expect(200, {"supervisor"}),
    ),
}

# Beyond one route per row: the supervisor-only scope of the inbox.
EXTRA: dict[str, tuple[Cell, dict[str, int]]] = {
    "GET /api/v1/tasks?scope=all": (api_get("/api/v1/tasks?scope=all"), api_expect(200, {"supervisor"})),
}


def test_authorization_matrix(world: ApiWorld) -> None:
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


def test_the_matrix_covers_every_api_route(world: ApiWorld) -> None:
    paths = world.api.get("/openapi.json").json()["paths"]
    served = {(method.upper(), path) for path, ops in paths.items() if path.startswith("/api/v1") for method in ops}
    covered = set(MATRIX) | set(MODELER_API_MATRIX)  # the process editor's routes: test_modeler_authz
    assert covered <= served
    missing = {r for r in served - covered if not r[1].startswith(ELSEWHERE_PREFIXES)}
    assert missing == set()
