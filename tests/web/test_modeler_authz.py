"""Authorization of every process-editing route (JSON API and pages) for every role: only process owners
edit, deploy, import or migrate; supervisors read, run checks and approve scenario overrides; everyone
else is refused (401/403 on the API; the sign-in page or 403 on pages)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from authz_kit import ROLES, ApiWorld, api_expect, page_clients, page_expect, role_users
from fastapi.testclient import TestClient
from page_helpers import page_token, post
from support import DATA, OWNER, files_of

from engine import SourceFile
from services.context import Services
from services.deploy import deploy
from services.instances import start_instance
from services.migration import migrate_instance
from services.process_editor import open_draft, save_file
from web.app import create_app
from web.pages import (
    modeler,
    modeler_deploy,
    modeler_forms,
    process_versions,
    process_versions_import,
    process_versions_migrate,
)

READERS = {"process_owner", "supervisor"}
OWNERS = {"process_owner"}
API = "/api/v1/process-definitions"


@dataclass
class World(ApiWorld):
    """The API world plus a signed-in browser per role and two deployed versions of case_flow."""

    pages: dict[str, TestClient]
    v1_id: int
    v2_id: int

    def revision(self) -> int:
        return open_draft(self.svc, OWNER, "case_flow").revision

    def post(self, role: str, url: str, data: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        return post(self.pages[role], url, data, token_from="/login" if role == "anonymous" else "/inbox")


@pytest.fixture
def world(svc: Services) -> Iterator[World]:
    v1 = deploy(svc, OWNER, files_of("case_flow"), change_note="one").versions[0]
    renamed = [SourceFile(f.name, f.content.replace(b"Assess the situation", b"Assess")) for f in files_of("case_flow")]
    v2 = deploy(svc, OWNER, renamed, change_note="two").versions[0]
    names, headers = role_users(svc)
    app = create_app(svc.settings, services=svc)
    with TestClient(app) as api, page_clients(app, names) as pages:
        yield World(svc, api, headers, names, itertools.count(1), pages, v1.id, v2.id)


Cell = Callable[[World, str], httpx.Response]


def _get(url: str) -> Cell:
    return lambda w, role: w.call(role, "GET", url)


def _put_file(w: World, role: str) -> httpx.Response:
    body = {"content": '{"type": "object"}', "revision": w.revision()}
    return w.call(role, "PUT", f"{API}/case_flow/draft/files/extra-schema.json", json=body)


def _delete_file(w: World, role: str) -> httpx.Response:
    save_file(w.svc, OWNER, "case_flow", "gone-schema.json", "{}", revision=w.revision())
    return w.call(role, "DELETE", f"{API}/case_flow/draft/files/gone-schema.json?revision={w.revision()}")


def _discard(w: World, role: str) -> httpx.Response:
    save_file(w.svc, OWNER, "case_flow", "x-schema.json", "{}", revision=w.revision())
    return w.call(role, "DELETE", f"{API}/case_flow/draft")


def _deploy(w: World, role: str) -> httpx.Response:
    return w.call(role, "POST", f"{API}/case_flow/draft/deploy", json={"note": "matrix", "revision": w.revision()})


def _override(w: World, role: str) -> httpx.Response:
    body = {"reason": "approved for the matrix test", "revision": w.revision()}
    return w.call(role, "POST", f"{API}/case_flow/draft/override", json=body)


def _import(w: World, role: str) -> httpx.Response:
    files = [
        ("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in (DATA / "spiffarena_model").iterdir()
    ]
    return w.call(role, "POST", f"{API}/import?dry_run=true", files=files)


API_MATRIX: dict[tuple[str, str], tuple[Cell, dict[str, int]]] = {
    ("GET", f"{API}/{{process_id}}/versions"): (_get(f"{API}/case_flow/versions"), api_expect(200, READERS)),
    ("GET", f"{API}/{{process_id}}/versions/{{version}}/files/{{name}}"): (
        _get(f"{API}/case_flow/versions/1/files/case_flow.bpmn"),
        api_expect(200, READERS),
    ),
    ("GET", f"{API}/{{process_id}}/diff"): (_get(f"{API}/case_flow/diff?from=1&to=2"), api_expect(200, READERS)),
    ("GET", f"{API}/{{process_id}}/draft"): (_get(f"{API}/case_flow/draft"), api_expect(200, READERS)),
    ("GET", f"{API}/{{process_id}}/draft/files/{{name}}"): (
        _get(f"{API}/case_flow/draft/files/case_flow.bpmn"),
        api_expect(200, READERS),
    ),
    ("PUT", f"{API}/{{process_id}}/draft/files/{{name}}"): (_put_file, api_expect(200, OWNERS)),
    ("DELETE", f"{API}/{{process_id}}/draft/files/{{name}}"): (_delete_file, api_expect(200, OWNERS)),
    ("DELETE", f"{API}/{{process_id}}/draft"): (_discard, api_expect(204, OWNERS)),
    ("POST", f"{API}/{{process_id}}/draft/check"): (
        lambda w, role: w.call(role, "POST", f"{API}/case_flow/draft/check?scenarios=false"),
        api_expect(200, READERS),
    ),
    ("POST", f"{API}/{{process_id}}/draft/deploy"): (_deploy, api_expect(201, OWNERS)),
    ("POST", f"{API}/{{process_id}}/draft/override"): (_override, api_expect(201, {"supervisor"})),
    ("POST", f"{API}/import"): (_import, api_expect(200, OWNERS)),
}


def _page_post(url: str, data: Callable[[World], dict[str, str]]) -> Cell:
    return lambda w, role: w.post(role, url, data(w))


def _get_page(url: str) -> Cell:
    return lambda w, role: w.pages[role].get(url, follow_redirects=False)


def _new_process(w: World, role: str) -> httpx.Response:
    return w.post(role, "/processes/new", {"process_id": f"made_{next(w.counter)}", "name": "x"})


def _page_import(w: World, role: str) -> httpx.Response:
    client = w.pages[role]
    token = page_token(client, "/login" if role == "anonymous" else "/inbox")
    files = [
        ("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in (DATA / "spiffarena_model").iterdir()
    ]
    return client.post(
        "/processes/import",
        data={"mode": "check"},
        files=files,
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )


def _migrate(w: World, role: str) -> httpx.Response:
    instance = start_instance(w.svc, OWNER, "case_flow", {}).id
    return w.post(role, "/processes/case_flow/migrate", {"to": "1", "one": str(instance)})


def _revert(w: World, role: str) -> httpx.Response:
    instance = start_instance(w.svc, OWNER, "case_flow", {}).id
    moved = migrate_instance(w.svc, OWNER, instance, w.v1_id)
    return w.post(role, f"/processes/case_flow/migrations/{moved.migration_id}/revert", {})


SCHEMA = '{"type": "object", "properties": {"note": {"type": "string"}}}'
PAGE_MATRIX: dict[str, tuple[Cell, dict[str, int]]] = {
    "GET /processes": (_get_page("/processes"), page_expect(200, READERS)),
    "POST /processes/new": (_new_process, page_expect(303, OWNERS)),
    "GET /processes/import": (_get_page("/processes/import"), page_expect(200, OWNERS)),
    "POST /processes/import": (_page_import, page_expect(200, OWNERS)),
    "GET /processes/{id}": (_get_page("/processes/case_flow"), page_expect(200, READERS)),
    "GET /processes/{id}/diff": (_get_page("/processes/case_flow/diff?from=1&to=2"), page_expect(200, READERS)),
    "GET /processes/{id}/edit": (_get_page("/processes/case_flow/edit"), page_expect(200, READERS)),
    "GET /processes/{id}/edit?version": (_get_page("/processes/case_flow/edit?version=1"), page_expect(200, READERS)),
    "GET /processes/{id}/edit/dmn": (_get_page("/processes/case_flow/edit/dmn"), page_expect(200, READERS)),
    "POST /processes/{id}/edit/discard": (
        _page_post("/processes/case_flow/edit/discard", lambda w: {}),
        page_expect(303, OWNERS),
    ),
    "POST /processes/{id}/edit/from-version": (
        _page_post("/processes/case_flow/edit/from-version", lambda w: {"version": "1"}),
        page_expect(303, OWNERS),
    ),
    "GET /processes/{id}/edit/forms": (_get_page("/processes/case_flow/edit/forms"), page_expect(200, READERS)),
    "POST /processes/{id}/edit/forms": (
        _page_post(
            "/processes/case_flow/edit/forms",
            lambda w: {"file": "assess-schema.json", "json_schema": SCHEMA, "revision": str(w.revision())},
        ),
        page_expect(303, OWNERS),
    ),
    "POST /processes/{id}/edit/forms/new": (
        _page_post(
            "/processes/case_flow/edit/forms/new",
            lambda w: {"name": f"f{next(w.counter)}", "revision": str(w.revision())},
        ),
        page_expect(303, OWNERS),
    ),
    "POST /processes/{id}/edit/forms/preview": (
        _page_post("/processes/case_flow/edit/forms/preview", lambda w: {"json_schema": SCHEMA}),
        page_expect(200, READERS),
    ),
    "GET /processes/{id}/edit/scenarios": (_get_page("/processes/case_flow/edit/scenarios"), page_expect(200, READERS)),
    "POST /processes/{id}/edit/scenarios (run)": (
        _page_post(
            "/processes/case_flow/edit/scenarios",
            lambda w: {"content": '{"scenarios": []}', "revision": str(w.revision()), "action": "run"},
        ),
        page_expect(200, READERS),
    ),
    "POST /processes/{id}/edit/scenarios (save)": (
        _page_post(
            "/processes/case_flow/edit/scenarios",
            lambda w: {"content": '{"scenarios": []}', "revision": str(w.revision()), "action": "save"},
        ),
        page_expect(303, OWNERS),
    ),
    "GET /processes/{id}/edit/deploy": (_get_page("/processes/case_flow/edit/deploy"), page_expect(200, READERS)),
    "POST /processes/{id}/edit/deploy": (
        _page_post("/processes/case_flow/edit/deploy", lambda w: {"note": "matrix", "revision": str(w.revision())}),
        page_expect(303, OWNERS),
    ),
    "POST /processes/{id}/edit/override": (
        _page_post(
            "/processes/case_flow/edit/override",
            lambda w: {"reason": "approved for the matrix", "revision": str(w.revision())},
        ),
        page_expect(303, {"supervisor"}),
    ),
    "GET /processes/{id}/migrate": (_get_page("/processes/case_flow/migrate"), page_expect(200, READERS)),
    "POST /processes/{id}/migrate": (_migrate, page_expect(303, OWNERS)),
    "POST /processes/{id}/migrations/{mid}/revert": (_revert, page_expect(303, OWNERS)),
}


def test_api_authorization(world: World) -> None:
    wrong = []
    for (method, path), (cell, expected) in API_MATRIX.items():
        for role in ROLES:
            response = cell(world, role)
            if response.status_code != expected[role]:
                got = f"{response.status_code} (expected {expected[role]}) {response.text[:200]}"
                wrong.append(f"{method} {path} as {role}: {got}")
    assert wrong == []


def test_page_authorization(world: World) -> None:
    wrong = []
    for route, (cell, expected) in PAGE_MATRIX.items():
        for role in ROLES:
            response = cell(world, role)
            status = response.status_code
            if role == "anonymous" and status == 303:
                assert response.headers["location"].startswith("/login"), route
            if status != expected[role]:
                wrong.append(f"{route} as {role}: {status} (expected {expected[role]})")
    assert wrong == []


def test_the_matrix_covers_every_modeler_route(world: World) -> None:
    paths = world.api.get("/openapi.json").json()["paths"]
    mine = {
        (method.upper(), path)
        for path, ops in paths.items()
        for method in ops
        if path.startswith(f"{API}/{{process_id}}/") or path == f"{API}/import"
    }
    assert mine == set(API_MATRIX)
    served = {
        f"{method} {route.path}"
        for module in (
            modeler,
            modeler_deploy,
            modeler_forms,
            process_versions,
            process_versions_import,
            process_versions_migrate,
        )
        for route in module.router.routes
        for method in getattr(route, "methods", ())
    }
    covered = {
        route.split(" (")[0].split("?")[0].replace("{id}", "{process_id}").replace("{mid}", "{migration_id}")
        for route in PAGE_MATRIX
    }
    assert served == covered
