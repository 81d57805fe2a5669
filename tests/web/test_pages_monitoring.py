"""Monitoring pages: who may open them, the dashboard, the instance list, the instance view with its
markers and actions (each in the history), the deadlines, the access-log viewer."""

from __future__ import annotations

import html
import json
import re

from monitoring_kit import deploy_flow, start_flow
from page_helpers import make_user, page_client, post, sign_in
from support import SUPERVISOR, FakeClock
from support_api import access_rows, open_task

from services.context import Services
from services.instances import get_instance
from services.uow import UnitOfWork
from store.models import AuditEvent


def _markers(page: str) -> dict[str, list[str]]:
    found = re.search(r'data-markers="([^"]*)"', page)
    assert found, "no diagram on the page"
    markers: dict[str, list[str]] = json.loads(html.unescape(found.group(1)))
    return markers


def test_who_may_open_the_monitoring_pages(svc: Services) -> None:
    deploy_flow(svc)
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    make_user(svc, "olga", ["process_owner"])
    make_user(svc, "stella", ["statistician"])
    make_user(svc, "sue", ["supervisor"])
    other_case, instance = start_flow(svc, "AUT-2026-000001", team="Oulu")
    pages = [
        "/monitoring",
        "/monitoring/panels",
        "/monitoring/instances",
        f"/monitoring/instances/{instance}",
        f"/monitoring/instances/{instance}/diagram.bpmn",
        "/monitoring/deadlines",
        "/supervision/access-log",
        "/supervision/access-log.csv",
    ]
    with page_client(svc) as client:
        sign_in(client, "carl")
        assert {p: client.get(p).status_code for p in pages} == dict.fromkeys(pages, 403)
        assert client.get(f"/cases/{other_case}").status_code == 403  # another team's case
        assert 'data-testid="nav-monitoring"' not in client.get("/inbox").text
        assert post(client, f"/monitoring/instances/{instance}/suspend", {"reason": "I should not"}).status_code == 403
    with page_client(svc) as client:
        sign_in(client, "olga")
        allowed = {
            "/monitoring/instances",
            f"/monitoring/instances/{instance}",
            f"/monitoring/instances/{instance}/diagram.bpmn",
        }
        assert {p: client.get(p).status_code for p in pages} == {p: 200 if p in allowed else 403 for p in pages}
        listing = client.get("/monitoring/instances").text
        assert "AUT-2026-000001" not in listing and 'data-testid="instance-row"' in listing
        view = client.get(f"/monitoring/instances/{instance}").text
        assert "AUT-2026-000001" not in view and 'data-testid="suspend"' not in view
    with page_client(svc) as client:
        sign_in(client, "stella")
        assert all(client.get(p).status_code == 403 for p in pages)
    with page_client(svc) as client:
        sign_in(client, "sue")
        assert all(client.get(p).status_code == 200 for p in pages)
        assert 'data-testid="nav-monitoring"' in client.get("/inbox").text


def test_the_dashboard_shows_the_work_and_refreshes(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    make_user(svc, "sue", ["supervisor"])
    start_flow(svc, "AUT-2026-000001", facts={"deadlines": [{"kind": "appeal_window", "due_at": "2026-03-05"}]})
    start_flow(svc, "AUT-2026-000002")
    clock.advance(days=3)
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get("/monitoring").text
        assert 'hx-get="/monitoring/panels"' in page and 'hx-trigger="every 30s"' in page
        assert re.search(r'data-testid="tile-open-cases">2<', page)
        assert re.search(r'data-testid="tile-overdue">2<', page)
        assert 'data-testid="dashboard-ending-soon"' in page and "AUT-2026-000001" in page
        assert 'data-testid="dashboard-lanes"' in page and "Intake" in page
        panels = client.get("/monitoring/panels").text
        assert "<html" not in panels and 'data-testid="dashboard-overdue"' in panels


def test_the_instance_list_filters_and_saves_filters(svc: Services) -> None:
    deploy_flow(svc)
    make_user(svc, "sue", ["supervisor"])
    for n in range(1, 4):
        start_flow(svc, f"AUT-2026-00000{n}")
    with page_client(svc) as client:
        sign_in(client, "sue")
        assert client.get("/monitoring/instances").text.count('data-testid="instance-row"') == 3
        one = client.get("/monitoring/instances?case_reference=AUT-2026-000002").text
        assert one.count('data-testid="instance-row"') == 1 and "AUT-2026-000002" in one
        bad = client.get("/monitoring/instances?version=x&started_from=yesterday")
        assert bad.status_code == 422 and 'id="filter-version-error"' in bad.text
        assert 'id="filter-started_from-error"' in bad.text
        saved = post(client, "/monitoring/instances/filters", {"name": "Intake", "query": "lane=Intake&state=open"})
        assert saved.status_code == 303 and saved.headers["location"] == "/monitoring/instances?state=open&lane=Intake"
        page = client.get("/monitoring/instances").text
        assert 'data-testid="saved-filter"' in page and "lane=Intake" in page
        assert 'data-testid="saved-filter"' not in client.get("/inbox").text


def test_the_instance_view_marks_the_active_element_and_logs_actions(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    make_user(svc, "sue", ["supervisor"])
    make_user(svc, "ina", ["intake"], team="Helsinki")
    case_id, instance = start_flow(svc, "AUT-2026-000001")
    register = open_task(svc, instance, "register")
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get(f"/monitoring/instances/{instance}").text
        assert _markers(page) == {"completed": ["start"], "active": ["register"], "incident": []}
        assert f'data-diagram-url="/monitoring/instances/{instance}/diagram.bpmn"' in page
        assert "bpmn-navigated-viewer.production.min.js" in page and "/static/monitoring.js" in page
        diagram = client.get(f"/monitoring/instances/{instance}/diagram.bpmn")
        assert diagram.headers["content-type"].startswith("application/xml") and b"BPMNShape" in diagram.content
        assert ("sue", f"instance {instance} history") in [
            (r.username, r.what) for r in access_rows(svc, case_id=case_id)
        ]

        short = post(client, f"/monitoring/instances/{instance}/suspend", {"reason": "no"})
        assert short.status_code == 303
        assert get_instance(svc, SUPERVISOR, instance).status == "running"
        assert (
            post(client, f"/monitoring/instances/{instance}/suspend", {"reason": "Waiting for the police"}).status_code
            == 303
        )
        assert 'data-testid="instance-status">Keskeytetty' in client.get(f"/monitoring/instances/{instance}").text
        clock.advance(minutes=1)
        post(client, f"/monitoring/instances/{instance}/resume", {"reason": "The police answered"})
        moved = post(
            client,
            f"/monitoring/tasks/{register}/assign",
            {"assignee": "ina", "reason": "Ina knows the client", "next": f"/monitoring/instances/{instance}"},
        )
        assert moved.headers["location"] == f"/monitoring/instances/{instance}"
        clock.advance(minutes=1)
        post(client, f"/monitoring/instances/{instance}/cancel", {"reason": "Referral withdrawn by phone"})
        history = client.get(f"/monitoring/instances/{instance}").text
        for action in (
            "instance_suspended",
            "instance_resumed",
            "task_assigned",
            "action_reason",
            "instance_cancelled",
        ):
            assert f'data-action="{action}"' in history
        assert "Referral withdrawn by phone" in history and _markers(history)["active"] == []
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.query(AuditEvent).filter(AuditEvent.actor == "sue").order_by(AuditEvent.id).all()
        logged = [(r.action, r.details.get("reason")) for r in rows]
    assert logged == [
        ("instance_suspended", "Waiting for the police"),
        ("instance_resumed", "The police answered"),
        ("task_assigned", None),
        ("action_reason", "Ina knows the client"),
        ("instance_cancelled", "Referral withdrawn by phone"),
    ]


def test_the_deadline_page_lists_by_urgency(svc: Services) -> None:
    deploy_flow(svc)
    make_user(svc, "sue", ["supervisor"])
    facts = {"deadlines": [{"kind": "hearing_deadline", "due_at": "2026-03-06", "basis": "434/2003 § 34"}]}
    start_flow(svc, "AUT-2026-000001", facts=facts)
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get("/monitoring/deadlines?days=14").text
        kinds = re.findall(r'data-testid="deadline-row" data-kind="([a-z_]+)"', page)
        assert kinds == ["task", "hearing"]
        assert "434/2003 § 34" in page and "AUT-2026-000001" in page
        assert re.findall(r'data-kind="([a-z_]+)"', client.get("/monitoring/deadlines?days=14&kind=hearing").text) == [
            "hearing"
        ]


def test_the_access_log_viewer_filters_exports_and_flags(svc: Services, clock: FakeClock) -> None:
    make_user(svc, "sue", ["supervisor"])
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    from page_helpers import make_case

    cases = [make_case(svc, f"AUT-2026-{n:06d}", "Helsinki") for n in range(1, 5)]
    with page_client(svc) as client:
        sign_in(client, "carl")
        for case_id in cases:
            client.get(f"/cases/{case_id}")
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get("/supervision/access-log?case=AUT-2026-000002").text
        assert page.count('data-testid="access-log-row"') == 1
        assert 'data-testid="no-unusual-access"' in page
        flagged = client.get("/supervision/access-log?threshold=3&window=5").text
        assert flagged.count('data-testid="unusual-flag"') == 1 and "<strong>carl</strong>" in flagged
        export = client.get("/supervision/access-log.csv?case=AUT-2026-000002")
        assert export.headers["content-type"].startswith("text/csv")
        assert "attachment" in export.headers["content-disposition"]
        lines = export.text.strip().splitlines()
        assert len(lines) == 2 and lines[1].endswith(f",carl,{cases[1]},AUT-2026-000002,case,page")
        bad = client.get("/supervision/access-log?since=soon&threshold=0")
        assert bad.status_code == 422 and 'id="access-since-error"' in bad.text
        assert 'id="access-threshold-error"' in bad.text
