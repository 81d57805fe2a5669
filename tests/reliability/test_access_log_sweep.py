"""Access-log completeness: every route that returns case data writes an access_log row.

Generated from app.routes: every GET route (API and pages) is called by a supervisor and by a team
caseworker, with real ids in its path, against a case whose client has a unique name and birth date.
Whenever a response contains either, the same request must have written an access_log row for that
case, naming the reader and the channel (api/page). The sweep must find the case data somewhere (the
case, task and document routes), so it cannot pass by finding nothing.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from support_api import case_with_flow, deploy_case_flow, open_task

from services.context import Services
from services.documents import store_document
from services.inbox import InboxQuery, save_filter
from services.uow import UnitOfWork
from services.users import actor_of, add_user, issue_token
from store.models import AccessLogEntry, Case, Team, User
from web.app import create_app

NAME = "Zyxwerta Quobbledy"
BIRTH = "1987-11-23"
PDF = b"%PDF-1.7\n% " + NAME.encode() + b"\n%%EOF\n"
SKIP = {"/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/login"}
MARKERS = (NAME.encode(), NAME.split()[1].encode(), BIRTH.encode())
PASSWORD = "a long enough test password 42"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _ids(svc: Services) -> dict[str, Any]:
    deploy_case_flow(svc)
    case_id, instance = case_with_flow(svc, "A", reference="AUT-2026-424242", data={"client_name": NAME})
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.facts = {"client": {"given_names": NAME.split()[0], "family_name": NAME.split()[1], "birth_date": BIRTH}}
        uow.commit()
    task = open_task(svc, instance, "register")
    with UnitOfWork(svc.sessions) as uow:
        intake = actor_of(uow.session.scalars(select(User).where(User.username == "ida")).one())
        team = uow.session.scalars(select(Team).where(Team.name == "A")).one().id
    doc = store_document(svc, intake, task, "client_name", "a.pdf", "application/pdf", PDF)
    saved = save_filter(svc, intake, "mine", InboxQuery())
    return {
        "case_id": case_id,
        "task_id": task,
        "decision_id": task,  # not a signed decision: 404 (tests/web/test_decision_letter_http.py logs real ones)
        "instance_id": instance,
        "public_id": doc.public_id,
        "filter_id": saved.id,
        "team_id": team,
        "user_id": 1,
        "year": 2026,
        "name": "htmx.min.js",
        "process_id": "case_flow",
        "version": 1,
        "username": "carl",
        "hold_id": 1,
        "migration_id": 1,
        "incident_id": 1,
    }


def _get_routes(app: Any, ids: dict[str, Any]) -> list[str]:
    urls = []
    for route in iter_route_contexts(app.routes):
        if "GET" not in (route.methods or ()) or route.path in SKIP:
            continue
        params = re.findall(r"\{(\w+)\}", route.path)
        missing = [p for p in params if p not in ids]
        assert not missing, f"{route.path}: give the sweep a value for {missing}"
        urls.append(re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), route.path))
    return urls


def _log_rows(svc: Services) -> list[tuple[str, int, str, str]]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id)).all()
        return [(r.username, r.case_id, r.what, r.via) for r in rows]


def _signed_in(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    token = CSRF_META.search(client.get("/login").text)
    assert token
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "__csrf": token.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303
    return client


def test_every_route_that_shows_case_data_logs_the_read(svc: Services) -> None:
    """API routes are called with the reader's bearer token, pages with the reader's signed-in session."""
    roles = {"sue": (["supervisor"], None), "ida": (["intake"], "A"), "carl": (["caseworker"], "A")}
    tokens = {}
    for name, (role_list, team) in roles.items():
        add_user(svc, name, role_list, password=PASSWORD, team=team)
        tokens[name] = {"Authorization": f"Bearer {issue_token(svc, name)}"}
    ids = _ids(svc)
    app = create_app(svc.settings, services=svc)
    urls = _get_routes(app, ids)
    showing: set[str] = set()
    unlogged: list[str] = []
    channels: set[str] = set()
    sessions = {name: _signed_in(app, name) for name in roles}
    try:
        for url in urls:
            for name in roles:
                before = len(_log_rows(svc))
                if url.startswith("/api/"):
                    r = sessions[name].get(url, headers=tokens[name], follow_redirects=False)
                else:
                    r = sessions[name].get(url, follow_redirects=False)
                if not any(marker in r.content for marker in MARKERS):
                    continue
                showing.add(url)
                new = _log_rows(svc)[before:]
                mine = [row for row in new if row[0] == name and row[1] == ids["case_id"]]
                if not mine:
                    unlogged.append(f"GET {url} as {name} ({r.status_code}) showed case data; log rows: {new}")
                channels.update(via for *_rest, via in mine)
    finally:
        for client in sessions.values():
            client.__exit__(None, None, None)
    assert unlogged == []
    expected = {
        f"/api/v1/cases/{ids['case_id']}",
        f"/api/v1/tasks/{ids['task_id']}",
        f"/api/v1/documents/{ids['public_id']}",
        f"/cases/{ids['case_id']}",
        f"/tasks/{ids['task_id']}",
    }
    assert expected <= showing, f"the sweep did not see case data where it must be: {expected - showing}"
    assert {"api", "page"} <= channels
    print(
        f"\n[access-log] {len(urls)} GET routes x {len(roles)} readers; case data shown (and logged) by {len(showing)}"
    )
