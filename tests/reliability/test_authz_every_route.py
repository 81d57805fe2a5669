"""The authorization matrix over EVERY route the app serves (JSON API and HTML pages) x every role.

The list of routes is generated from `app.routes`; each must have a row in MATRIX, so a new route
without a decided answer for every role fails `test_every_route_has_a_row`. API calls use bearer
tokens; page calls use a real signed-in session (the sign-in form) and carry its CSRF token, so what
is tested is the authorization, not the CSRF check. Each state-changing cell works on fresh objects
(a new case for every claim), so an answer depends on the role alone.

A page refuses an anonymous visitor by sending them to the sign-in page (303); the API says 401.
Roles that never see case data (process owner, admin, referrer, statistician) must get 403 on every
case, task and document, whatever the id.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from authz_kit import (
    CASE_READERS,
    CSRF_META,
    INBOX_USERS,
    PASSWORD,
    PDF,
    ROLES,
    SIGNED_IN,
    ApiWorld,
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
    own_filter,
    page_clients,
    page_expect,
    role_users,
    signed_in,
)
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from support_api import actor, deploy_case_flow, open_task, team_id

from services.consultations import ConsultationInput, record_consultation
from services.context import Actor, Services
from services.documents import store_document
from services.tasks import claim
from services.uow import UnitOfWork
from services.users import add_user
from store.models import User
from web.app import create_app


def same(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


@dataclass
class World(ApiWorld):
    """The API world plus a signed-in browser per role, and objects shared by the cells that only read."""

    pages: dict[str, TestClient] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """An object shared by cells that only read it."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def csrf(self, role: str) -> str:
        """The CSRF token of the role's session (or pre-session), read once from a page."""
        if f"csrf:{role}" in self.cache:
            return str(self.cache[f"csrf:{role}"])
        client = self.pages[role]
        probe = "/login" if role == "anonymous" else "/supervision/access-log"
        found = CSRF_META.search(client.get(probe, follow_redirects=False).text)
        assert found, f"no CSRF token for {role}"
        self.cache[f"csrf:{role}"] = found.group(1)
        return found.group(1)

    def get_page(self, role: str, url: str) -> httpx.Response:
        return self.pages[role].get(url, follow_redirects=False)

    def post_page(self, role: str, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        form = {**(data or {}), "__csrf": self.csrf(role)}
        return self.pages[role].post(url, data=form, follow_redirects=False)


def _user_id(svc: Services, name: str) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.query(User).filter_by(username=name).one().id


@pytest.fixture
def world(svc: Services) -> Iterator[World]:
    deploy_case_flow(svc)
    names, headers = role_users(svc)
    app = create_app(svc.settings, services=svc)
    with TestClient(app) as api_client, page_clients(app, names) as pages:
        yield World(svc, api_client, headers, names, itertools.count(1), pages)


Cell = Callable[[World, str], httpx.Response]


# --- JSON API cells (the ones asked as in tests/web/test_authz_api_matrix.py come from authz_kit) ----


def _api_read_task(w: World, role: str) -> httpx.Response:
    return w.call(role, "GET", f"/api/v1/tasks/{w.shared('register', w.fresh_register)}")


def _document(w: World) -> str:
    intake = actor(w.svc, w.names["intake"])
    doc = store_document(w.svc, intake, w.fresh_register(), "client_name", "a.pdf", "application/pdf", PDF)
    return str(doc.public_id)


def _api_download(w: World, role: str) -> httpx.Response:
    return w.call(role, "GET", f"/api/v1/documents/{w.shared('document', lambda: _document(w))}")


def _api_read_case(w: World, role: str) -> httpx.Response:
    return w.call(role, "GET", f"/api/v1/cases/{w.shared('case', w.fresh_case)[0]}")


def _api_read_instance(w: World, role: str) -> httpx.Response:
    return w.call(role, "GET", f"/api/v1/process-instances/{w.shared('case', w.fresh_case)[1]}")


# --- page cells -------------------------------------------------------------------------------------


def _page_get(url: str) -> Cell:
    return lambda w, role: w.get_page(role, url)


def _page_task(w: World, role: str) -> httpx.Response:
    return w.get_page(role, f"/tasks/{w.shared('register', w.fresh_register)}")


def _page_complete(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/tasks/{w.fresh_register()}", {"client_name": "Anna", "received_on": "2026-03-01"})


def _page_claim(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/tasks/{w.fresh_register()}/claim")


def _page_unclaim(w: World, role: str) -> httpx.Response:
    task = w.fresh_register()
    claim(w.svc, actor(w.svc, w.names["intake"]), task)
    return w.post_page(role, f"/tasks/{task}/unclaim")


def _page_assign(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/tasks/{w.fresh_register()}/assign", {"assignee": w.names["intake"]})


def _page_case(w: World, role: str) -> httpx.Response:
    return w.get_page(role, f"/cases/{w.shared('case', w.fresh_case)[0]}")


def _page_save_filter(w: World, role: str) -> httpx.Response:
    return w.post_page(role, "/inbox/filters", {"name": f"f{next(w.counter)}", "query": "view=team"})


def _page_delete_filter(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/inbox/filters/{own_filter(w, role)}/delete")


def _page_new_user(w: World, role: str) -> httpx.Response:
    n = next(w.counter)
    return w.post_page(
        role,
        "/admin/users",
        {"username": f"new{n}", "display_name": "New", "roles": "caseworker", "team": "", "password": PASSWORD},
    )


def _victim(w: World) -> int:
    name = f"victim{next(w.counter)}"
    add_user(w.svc, name, ["caseworker"], password=PASSWORD)
    return _user_id(w.svc, name)


def _page_edit_user(w: World, role: str) -> httpx.Response:
    return w.get_page(role, f"/admin/users/{w.shared('victim', lambda: _victim(w))}")


def _page_update_user(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/admin/users/{_victim(w)}", {"display_name": "Changed", "roles": "caseworker"})


def _page_deactivate(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/admin/users/{_victim(w)}/active", {"active": "false"})


def _page_password(w: World, role: str) -> httpx.Response:
    return w.post_page(role, f"/admin/users/{_victim(w)}/password", {"password": PASSWORD + "!"})


def _page_new_team(w: World, role: str) -> httpx.Response:
    return w.post_page(role, "/admin/teams", {"name": f"team {next(w.counter)}"})


def _page_rename_team(w: World, role: str) -> httpx.Response:
    team = team_id(w.svc, f"to rename {next(w.counter)}")
    return w.post_page(role, f"/admin/teams/{team}", {"name": f"renamed {next(w.counter)}"})


def _page_login(w: World, role: str) -> httpx.Response:
    # A different unknown name each time, so the per-user rate limit (5 failures) is not what answers.
    return w.post_page(role, "/login", {"username": f"nobody{next(w.counter)}", "password": "wrong"})


def _page_logout(w: World, role: str) -> httpx.Response:
    # Signing out a role's own session would break its next cells: use a throwaway session.
    client = TestClient(w.api.app)
    if role != "anonymous":
        signed_in(client, w.names[role])
    token = CSRF_META.search(client.get("/login" if role == "anonymous" else "/supervision/access-log").text)
    assert token
    return client.post("/logout", data={"__csrf": token.group(1)}, follow_redirects=False)


def _page_lang(w: World, role: str) -> httpx.Response:
    return w.post_page(role, "/lang", {"lang": "en", "next": "/inbox"})


# --- generic cells for the routes of the later features (monitoring, modeler, protection, statistics) ---


def _fill(w: World, template: str, *, fresh: bool) -> str:
    """The route's path with real ids: the shared case (or a fresh one for a state-changing call)."""
    case_id, instance = w.fresh_case() if fresh else w.shared("case", w.fresh_case)
    values = {
        "case_id": case_id,
        "instance_id": instance,
        "task_id": open_task(w.svc, instance, "register") if fresh else w.shared("register", w.fresh_register),
        "process_id": "case_flow",
        "version": 1,
        "name": "case_flow.bpmn",
        "username": w.names["caseworker"],
        "year": 2026,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), template)


def _api_cell(method: str, template: str, body: Any = None) -> Cell:
    def cell(w: World, role: str) -> httpx.Response:
        url = _fill(w, template, fresh=method != "GET")
        return w.call(role, method, url, **({} if body is None else {"json": body}))

    return cell


def _page_cell(method: str, template: str, form: dict[str, str] | None = None) -> Cell:
    def cell(w: World, role: str) -> httpx.Response:
        url = _fill(w, template, fresh=method != "GET")
        return w.get_page(role, url) if method == "GET" else w.post_page(role, url, form or {})

    return cell


def row(text: str) -> dict[str, int]:
    """Expected answers in ROLES order, e.g. row("403 200 200 200 200 403 403 403 401")."""
    codes = [int(c) for c in text.split()]
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


SUPERVISOR = {"supervisor"}
OWNER_OR_SUPERVISOR = {"process_owner", "supervisor"}
REASON = {"reason": "checked by the reliability suite"}


PUBLIC = same(200)
MATRIX: dict[tuple[str, str], tuple[Cell, dict[str, int]]] = {
    # Documentation and machine endpoints: public by design (no case data).
    ("GET", "/openapi.json"): (lambda w, role: w.call(role, "GET", "/openapi.json"), PUBLIC),
    ("GET", "/api/docs"): (lambda w, role: w.call(role, "GET", "/api/docs"), PUBLIC),
    ("GET", "/docs/oauth2-redirect"): (lambda w, role: w.call(role, "GET", "/docs/oauth2-redirect"), PUBLIC),
    ("GET", "/health"): (api_get("/health"), PUBLIC),
    ("GET", "/static/vendor/{name}"): (_page_get("/static/vendor/htmx.min.js"), PUBLIC),
    ("MOUNT", "/static"): (_page_get("/static/app.css"), PUBLIC),
    ("MOUNT", "/static/vendor/bpmn-js"): (_page_get("/static/vendor/bpmn-js/bpmn-viewer.production.min.js"), PUBLIC),
    # JSON API
    ("GET", "/api/v1/tasks"): (api_get("/api/v1/tasks?scope=mine"), api_expect(200, INBOX_USERS)),
    ("GET", "/api/v1/tasks/{task_id}"): (_api_read_task, api_expect(200, {"intake", "supervisor"})),
    ("POST", "/api/v1/tasks/{task_id}/claim"): (api_claim, api_expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/unclaim"): (api_unclaim, api_expect(200, {"intake", "supervisor"})),
    ("POST", "/api/v1/tasks/{task_id}/assign"): (api_assign, api_expect(200, {"supervisor"})),
    ("PUT", "/api/v1/tasks/{task_id}/draft"): (api_draft, api_expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/complete"): (api_complete, api_expect(200, {"intake"})),
    ("POST", "/api/v1/tasks/{task_id}/documents"): (api_upload, api_expect(201, {"intake"})),
    ("GET", "/api/v1/documents/{public_id}"): (_api_download, api_expect(200, CASE_READERS)),
    ("GET", "/api/v1/cases/{case_id}"): (_api_read_case, api_expect(200, CASE_READERS)),
    # A task that is not a decider's signature: case readers learn only that it is no signed decision.
    ("GET", "/api/v1/cases/{case_id}/decisions/{decision_id}/letter"): (
        _api_cell("GET", "/api/v1/cases/{case_id}/decisions/{task_id}/letter"),
        api_expect(404, CASE_READERS),
    ),
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
    ("POST", "/api/v1/process-instances"): (api_start, api_expect(201, {"process_owner", "supervisor"})),
    ("GET", "/api/v1/process-instances/{instance_id}"): (
        _api_read_instance,
        api_expect(200, {"process_owner", "supervisor"}),
    ),
    ("GET", "/api/v1/statistics/annual/{year}"): (
        api_get("/api/v1/statistics/annual/2026"),
        api_expect(200, {"supervisor", "statistician"}),
    ),
    # HTML pages
    ("GET", "/"): (_page_get("/"), page_expect(303, SIGNED_IN)),
    ("GET", "/login"): (_page_get("/login"), {**same(303), "anonymous": 200}),
    ("POST", "/login"): (_page_login, same(401)),
    ("POST", "/logout"): (_page_logout, same(303)),
    ("POST", "/lang"): (_page_lang, same(303)),
    ("GET", "/inbox"): (_page_get("/inbox"), page_expect(200, INBOX_USERS)),
    ("GET", "/inbox/table"): (_page_get("/inbox/table"), page_expect(200, INBOX_USERS)),
    ("POST", "/inbox/filters"): (_page_save_filter, page_expect(303, INBOX_USERS)),
    ("POST", "/inbox/filters/{filter_id}/delete"): (_page_delete_filter, page_expect(303, INBOX_USERS)),
    ("GET", "/tasks/{task_id}"): (_page_task, page_expect(200, {"intake", "supervisor"})),
    ("POST", "/tasks/{task_id}"): (_page_complete, page_expect(303, {"intake"})),
    ("POST", "/tasks/{task_id}/claim"): (_page_claim, page_expect(303, {"intake"})),
    ("POST", "/tasks/{task_id}/unclaim"): (_page_unclaim, page_expect(303, {"intake", "supervisor"})),
    ("POST", "/tasks/{task_id}/assign"): (_page_assign, page_expect(303, {"supervisor"})),
    ("GET", "/cases/{case_id}"): (_page_case, page_expect(200, CASE_READERS)),
    ("GET", "/supervision/access-log"): (_page_get("/supervision/access-log"), page_expect(200, {"supervisor"})),
    ("GET", "/admin/users"): (_page_get("/admin/users"), page_expect(200, {"admin"})),
    ("GET", "/admin/users/new"): (_page_get("/admin/users/new"), page_expect(200, {"admin"})),
    ("POST", "/admin/users"): (_page_new_user, page_expect(303, {"admin"})),
    ("GET", "/admin/users/{user_id}"): (_page_edit_user, page_expect(200, {"admin"})),
    ("POST", "/admin/users/{user_id}"): (_page_update_user, page_expect(303, {"admin"})),
    ("POST", "/admin/users/{user_id}/active"): (_page_deactivate, page_expect(303, {"admin"})),
    ("POST", "/admin/users/{user_id}/password"): (_page_password, page_expect(303, {"admin"})),
    ("GET", "/admin/teams"): (_page_get("/admin/teams"), page_expect(200, {"admin"})),
    ("POST", "/admin/teams"): (_page_new_team, page_expect(303, {"admin"})),
    ("POST", "/admin/teams/{team_id}"): (_page_rename_team, page_expect(303, {"admin"})),
}


# Routes of the later features. Where the bodies are valid, each answer is the authorization's (a
# 404/409/422 for the allowed roles means they got past it to the use case's own checks). Rows written
# with row("...") are the observed answers, reviewed and frozen: a 422 for EVERY role means the body or
# path is refused by validation before any authorization check, so that row still needs a better cell
# (a valid body) to say who may call it; a 404 for every role means the object is looked up first.
MATRIX.update(
    {
        ("MOUNT", "/static/vendor/dmn-js"): (_page_get("/static/vendor/dmn-js/dmn-viewer.production.min.js"), PUBLIC),
        ("GET", "/supervision/access-log.csv"): (
            _page_cell("GET", "/supervision/access-log.csv"),
            page_expect(200, SUPERVISOR),
        ),
        # process monitoring (supervisors; process owners see instances of their models)
        ("GET", "/api/v1/process-instances"): (
            _api_cell("GET", "/api/v1/process-instances"),
            api_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/api/v1/process-instances/{instance_id}/suspend"): (
            _api_cell("POST", "/api/v1/process-instances/{instance_id}/suspend", REASON),
            api_expect(200, SUPERVISOR),
        ),
        ("POST", "/api/v1/process-instances/{instance_id}/resume"): (
            _api_cell("POST", "/api/v1/process-instances/{instance_id}/resume", REASON),
            api_expect(409, SUPERVISOR),
        ),
        ("POST", "/api/v1/process-instances/{instance_id}/cancel"): (
            _api_cell("POST", "/api/v1/process-instances/{instance_id}/cancel", REASON),
            api_expect(200, SUPERVISOR),
        ),
        ("GET", "/monitoring"): (_page_cell("GET", "/monitoring"), page_expect(200, SUPERVISOR)),
        ("GET", "/monitoring/panels"): (_page_cell("GET", "/monitoring/panels"), page_expect(200, SUPERVISOR)),
        ("GET", "/monitoring/deadlines"): (_page_cell("GET", "/monitoring/deadlines"), page_expect(200, SUPERVISOR)),
        ("GET", "/monitoring/instances"): (
            _page_cell("GET", "/monitoring/instances"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/monitoring/instances/{instance_id}"): (
            _page_cell("GET", "/monitoring/instances/{instance_id}"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/monitoring/instances/{instance_id}/diagram.bpmn"): (
            _page_cell("GET", "/monitoring/instances/{instance_id}/diagram.bpmn"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/monitoring/instances/filters"): (
            _page_cell("POST", "/monitoring/instances/filters", {"name": "mine", "query": ""}),
            page_expect(303, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/monitoring/instances/filters/{filter_id}/delete"): (
            _page_cell("POST", "/monitoring/instances/filters/999999/delete"),
            page_expect(404, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/monitoring/instances/{instance_id}/suspend"): (
            _page_cell("POST", "/monitoring/instances/{instance_id}/suspend", REASON),
            page_expect(303, SUPERVISOR),
        ),
        ("POST", "/monitoring/instances/{instance_id}/resume"): (
            _page_cell("POST", "/monitoring/instances/{instance_id}/resume", REASON),
            page_expect(303, SUPERVISOR),
        ),
        ("POST", "/monitoring/instances/{instance_id}/cancel"): (
            _page_cell("POST", "/monitoring/instances/{instance_id}/cancel", REASON),
            page_expect(303, SUPERVISOR),
        ),
        ("POST", "/monitoring/tasks/{task_id}/assign"): (
            _page_cell("POST", "/monitoring/tasks/{task_id}/assign", {"assignee": "u_intake"}),
            page_expect(303, SUPERVISOR),
        ),
        ("POST", "/monitoring/incidents/{incident_id}/retry"): (
            _page_cell("POST", "/monitoring/incidents/999999/retry"),
            row("404 404 404 404 404 404 404 404 303"),
        ),
        # statistics
        ("GET", "/statistics"): (_page_cell("GET", "/statistics"), page_expect(303, {"supervisor", "statistician"})),
        ("GET", "/statistics/{year}"): (
            _page_cell("GET", "/statistics/{year}"),
            page_expect(200, {"supervisor", "statistician"}),
        ),
        ("GET", "/statistics/{year}/export.csv"): (
            _page_cell("GET", "/statistics/{year}/export.csv"),
            page_expect(200, {"supervisor", "statistician"}),
        ),
        ("GET", "/statistics/{year}/export.xlsx"): (
            _page_cell("GET", "/statistics/{year}/export.xlsx"),
            page_expect(200, {"supervisor", "statistician"}),
        ),
        ("GET", "/statistics/import"): (
            _page_cell("GET", "/statistics/import"),
            page_expect(200, {"supervisor", "statistician"}),
        ),
        ("POST", "/statistics/import"): (
            _page_cell("POST", "/statistics/import"),
            page_expect(422, {"supervisor", "statistician"}),
        ),
        # process versions, drafts and the modeler (process owners edit; supervisors read)
        ("GET", "/api/v1/process-definitions/{process_id}/versions"): (
            _api_cell("GET", "/api/v1/process-definitions/{process_id}/versions"),
            api_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/api/v1/process-definitions/{process_id}/versions/{version}/files/{name}"): (
            _api_cell("GET", "/api/v1/process-definitions/{process_id}/versions/{version}/files/{name}"),
            api_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/api/v1/process-definitions/{process_id}/diff"): (
            _api_cell("GET", "/api/v1/process-definitions/{process_id}/diff?from=1&to=1"),
            row("403 403 403 403 422 422 403 403 401"),
        ),
        ("GET", "/api/v1/process-definitions/{process_id}/draft"): (
            _api_cell("GET", "/api/v1/process-definitions/{process_id}/draft"),
            api_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/api/v1/process-definitions/{process_id}/draft/files/{name}"): (
            _api_cell("GET", "/api/v1/process-definitions/{process_id}/draft/files/{name}"),
            api_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("PUT", "/api/v1/process-definitions/{process_id}/draft/files/{name}"): (
            _api_cell(
                "PUT", "/api/v1/process-definitions/{process_id}/draft/files/notes-schema.json", {"content": "{}"}
            ),
            row("422 422 422 422 422 422 422 422 401"),
        ),
        ("DELETE", "/api/v1/process-definitions/{process_id}/draft/files/{name}"): (
            _api_cell("DELETE", "/api/v1/process-definitions/{process_id}/draft/files/nothing-schema.json"),
            row("422 422 422 422 422 422 422 422 401"),
        ),
        ("DELETE", "/api/v1/process-definitions/{process_id}/draft"): (
            _api_cell("DELETE", "/api/v1/process-definitions/{process_id}/draft"),
            api_expect(204, {"process_owner"}),
        ),
        ("POST", "/api/v1/process-definitions/{process_id}/draft/check"): (
            _api_cell("POST", "/api/v1/process-definitions/{process_id}/draft/check", {}),
            api_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/api/v1/process-definitions/{process_id}/draft/deploy"): (
            _api_cell("POST", "/api/v1/process-definitions/{process_id}/draft/deploy", {"note": "no change"}),
            row("422 422 422 422 422 422 422 422 401"),
        ),
        ("POST", "/api/v1/process-definitions/{process_id}/draft/override"): (
            _api_cell("POST", "/api/v1/process-definitions/{process_id}/draft/override", REASON),
            row("422 422 422 422 422 422 422 422 401"),
        ),
        ("POST", "/api/v1/process-definitions/import"): (
            lambda w, role: w.call(
                role, "POST", "/api/v1/process-definitions/import", files=[("file", ("x.bpmn", b"<x/>", "text/xml"))]
            ),
            row("422 422 422 422 422 422 422 422 401"),
        ),
        ("GET", "/processes"): (_page_cell("GET", "/processes"), page_expect(200, OWNER_OR_SUPERVISOR)),
        ("GET", "/processes/import"): (_page_cell("GET", "/processes/import"), page_expect(200, {"process_owner"})),
        ("POST", "/processes/import"): (_page_cell("POST", "/processes/import"), page_expect(422, {"process_owner"})),
        ("POST", "/processes/new"): (_page_cell("POST", "/processes/new"), page_expect(422, {"process_owner"})),
        ("GET", "/processes/{process_id}"): (
            _page_cell("GET", "/processes/{process_id}"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/processes/{process_id}/diff"): (
            _page_cell("GET", "/processes/{process_id}/diff?from=1&to=1"),
            row("403 403 403 403 422 422 403 403 303"),
        ),
        ("GET", "/processes/{process_id}/edit"): (
            _page_cell("GET", "/processes/{process_id}/edit"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/processes/{process_id}/edit/dmn"): (
            _page_cell("GET", "/processes/{process_id}/edit/dmn"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/processes/{process_id}/edit/forms"): (
            _page_cell("GET", "/processes/{process_id}/edit/forms"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/processes/{process_id}/edit/scenarios"): (
            _page_cell("GET", "/processes/{process_id}/edit/scenarios"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/processes/{process_id}/edit/deploy"): (
            _page_cell("GET", "/processes/{process_id}/edit/deploy"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("GET", "/processes/{process_id}/migrate"): (
            _page_cell("GET", "/processes/{process_id}/migrate"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/processes/{process_id}/edit/discard"): (
            _page_cell("POST", "/processes/{process_id}/edit/discard"),
            page_expect(303, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/edit/from-version"): (
            _page_cell("POST", "/processes/{process_id}/edit/from-version", {"version": "1"}),
            page_expect(303, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/edit/forms"): (
            _page_cell("POST", "/processes/{process_id}/edit/forms"),
            page_expect(422, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/edit/forms/new"): (
            _page_cell("POST", "/processes/{process_id}/edit/forms/new", {"name": "reliability_form"}),
            page_expect(303, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/edit/forms/preview"): (
            _page_cell("POST", "/processes/{process_id}/edit/forms/preview"),
            page_expect(200, OWNER_OR_SUPERVISOR),
        ),
        ("POST", "/processes/{process_id}/edit/scenarios"): (
            _page_cell("POST", "/processes/{process_id}/edit/scenarios"),
            page_expect(422, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/edit/deploy"): (
            _page_cell("POST", "/processes/{process_id}/edit/deploy"),
            page_expect(422, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/edit/override"): (
            _page_cell("POST", "/processes/{process_id}/edit/override", REASON),
            page_expect(409, SUPERVISOR),
        ),
        ("POST", "/processes/{process_id}/migrate"): (
            _page_cell("POST", "/processes/{process_id}/migrate"),
            page_expect(404, {"process_owner"}),
        ),
        ("POST", "/processes/{process_id}/migrations/{migration_id}/revert"): (
            _page_cell("POST", "/processes/{process_id}/migrations/999999/revert"),
            page_expect(404, {"process_owner"}),
        ),
        # data protection
        ("GET", "/api/v1/cases/{case_id}/protection"): (
            _api_cell("GET", "/api/v1/cases/{case_id}/protection"),
            api_expect(200, CASE_READERS),
        ),
        ("PUT", "/api/v1/cases/{case_id}/protection"): (
            _api_cell("PUT", "/api/v1/cases/{case_id}/protection", {"safe_address": True}),
            api_expect(200, SUPERVISOR),
        ),
        ("POST", "/api/v1/cases/{case_id}/named-users"): (
            _api_cell("POST", "/api/v1/cases/{case_id}/named-users", {"username": "u_caseworker"}),
            api_expect(200, SUPERVISOR),
        ),
        ("DELETE", "/api/v1/cases/{case_id}/named-users/{username}"): (
            _api_cell("DELETE", "/api/v1/cases/{case_id}/named-users/{username}"),
            api_expect(200, SUPERVISOR),
        ),
        ("POST", "/api/v1/cases/{case_id}/break-glass"): (
            _api_cell("POST", "/api/v1/cases/{case_id}/break-glass", {"reason": "an emergency: the client is missing"}),
            row("403 403 403 403 200 403 403 403 401"),
        ),
        ("GET", "/api/v1/cases/{case_id}/disclosures"): (
            _api_cell("GET", "/api/v1/cases/{case_id}/disclosures"),
            api_expect(200, CASE_READERS),
        ),
        ("POST", "/api/v1/cases/{case_id}/disclosures"): (
            _api_cell(
                "POST",
                "/api/v1/cases/{case_id}/disclosures",
                {"recipient": "Police", "basis": "consent", "fields": ["client.given_names"]},
            ),
            row("403 403 422 422 422 403 403 403 401"),
        ),
        ("POST", "/api/v1/cases/{case_id}/consent-withdrawal"): (
            _api_cell("POST", "/api/v1/cases/{case_id}/consent-withdrawal", {}),
            api_expect(200, {"caseworker", "decider", "supervisor"}),
        ),
        ("POST", "/api/v1/cases/{case_id}/legal-holds"): (
            _api_cell("POST", "/api/v1/cases/{case_id}/legal-holds", {"kind": "litigation", "reason": "a court case"}),
            row("403 403 403 422 422 403 403 403 401"),
        ),
        ("POST", "/api/v1/legal-holds/{hold_id}/release"): (
            _api_cell("POST", "/api/v1/legal-holds/999999/release", REASON),
            api_expect(404, {"decider", "supervisor"}),
        ),
        ("GET", "/api/v1/retention/preview"): (
            _api_cell("GET", "/api/v1/retention/preview"),
            api_expect(200, {"supervisor", "admin"}),
        ),
        ("POST", "/api/v1/duplicates"): (
            _api_cell("POST", "/api/v1/duplicates", {"family_name": "Example"}),
            api_expect(200, {"intake", "supervisor"}),
        ),
        ("GET", "/api/v1/cases/{case_id}/subject-export"): (
            _api_cell("GET", "/api/v1/cases/{case_id}/subject-export"),
            api_expect(200, SUPERVISOR),
        ),
    }
)


# --- the anonymous-consultation log (tests/web/test_consultations_http.py has the behaviour) -----------
CONSULTATION = {"consulted_on": "2026-03-01", "referrer_type": "police", "topic": "safety", "outcome": "advice_given"}


def _consultation_cell(suffix: str) -> Cell:
    """POST to a fresh entry recorded by u_intake: its recorder and supervisors may change it."""

    def cell(w: World, role: str) -> httpx.Response:
        recorder = Actor(w.names["intake"], frozenset({"intake"}))
        entry = record_consultation(w.svc, recorder, ConsultationInput(None, "police", "safety", "advice_given"))
        return w.post_page(role, f"/consultations/{entry.id}{suffix}", CONSULTATION)

    return cell


CONSULTATION_PAGE = {"intake", "caseworker", "supervisor"}
MATRIX.update(
    {
        ("GET", "/api/v1/consultations"): (
            _api_cell("GET", "/api/v1/consultations"),
            api_expect(200, CONSULTATION_PAGE),
        ),
        ("POST", "/api/v1/consultations"): (
            _api_cell("POST", "/api/v1/consultations", CONSULTATION),
            api_expect(201, {"intake", "caseworker"}),
        ),
        ("GET", "/consultations"): (_page_cell("GET", "/consultations"), page_expect(200, CONSULTATION_PAGE)),
        ("POST", "/consultations"): (
            _page_cell("POST", "/consultations", CONSULTATION),
            page_expect(303, {"intake", "caseworker"}),
        ),
        # a caseworker does not see another's entry (404); roles without the page are refused first (403)
        ("POST", "/consultations/{consultation_id}"): (
            _consultation_cell(""),
            row("403 303 404 403 303 403 403 403 303"),
        ),
        ("POST", "/consultations/{consultation_id}/delete"): (
            _consultation_cell("/delete"),
            row("403 303 404 403 303 403 403 403 303"),
        ),
    }
)


# --- the public referral form and its status page (tests/web/test_public_referral.py has the behaviour) --
# Anyone may refer, signed in or not; an empty form is refused for what it lacks, whoever sends it.
MATRIX.update(
    {
        ("GET", "/refer"): (_page_get("/refer"), same(200)),
        ("POST", "/refer"): (_page_cell("POST", "/refer"), same(422)),
        ("GET", "/refer/status"): (_page_get("/refer/status"), same(200)),
        ("POST", "/refer/status"): (_page_cell("POST", "/refer/status"), same(200)),
    }
)

# --- the caseworker's record of a withdrawal of consent (tests/web/test_pages_consent_withdrawal.py) ------
MATRIX[("POST", "/cases/{case_id}/consent-withdrawal")] = (
    _page_cell("POST", "/cases/{case_id}/consent-withdrawal", {"withdrawn_by": "client", "confirm": "yes"}),
    page_expect(303, {"caseworker", "supervisor"}),
)


NOT_TO_LOGIN = {("POST", "/logout"), ("POST", "/lang")}  # these redirect anyone, signed in or not


def served_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route and ("MOUNT", path) of every mount; HEAD goes with GET."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        methods = set(route.methods or ()) - {"HEAD"}
        if not methods:
            found.add(("MOUNT", route.path))
        found.update((m, route.path) for m in methods)
    return found


def test_every_route_has_a_row(svc: Services) -> None:
    served = served_routes(create_app(svc.settings, services=svc))
    assert sorted(served - set(MATRIX)) == [], "routes without a row in MATRIX: decide every role's answer"
    assert sorted(set(MATRIX) - served) == [], "rows for routes the app no longer serves"


def test_authorization_matrix_over_every_route(world: World) -> None:
    wrong = []
    for (method, path), (cell, expected) in MATRIX.items():
        for role in ROLES:
            response = cell(world, role)
            if response.status_code != expected[role]:
                wrong.append(f"{method} {path} as {role}: {response.status_code} (expected {expected[role]})")
            if role == "anonymous" and expected[role] == 303 and (method, path) not in NOT_TO_LOGIN:
                assert response.headers["location"].startswith("/login"), (method, path)
    assert wrong == [], "\n".join(wrong)
