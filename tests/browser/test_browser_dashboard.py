"""The supervisor's monitoring in headless Chromium: the dashboard, then an instance whose diagram
(bpmn-js, served from node_modules) highlights the active element. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from monitoring_kit import deploy_flow, exploitation, start_flow, stat_person
from support import FakeClock, shot
from support_api import open_task

from services.context import Services
from services.tasks import complete_task
from services.uow import UnitOfWork
from services.users import actor_of, add_user
from store.models import User

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


def make_user(svc: Services, name: str, roles: list[str], team: str | None = None) -> None:
    add_user(svc, name, roles, password=PASSWORD, team=team, display_name=name.title())


def _sign_in(page: Any, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}{target}")


def test_dashboard_and_instance_diagram_in_chromium(
    page: Any, live_server: str, svc: Services, clock: FakeClock
) -> None:
    deploy_flow(svc)
    make_user(svc, "sue", ["supervisor"])
    make_user(svc, "ida", ["intake"], team="Helsinki")
    _case, instance = start_flow(svc, "AUT-2026-000001")
    start_flow(svc, "AUT-2026-000002")  # stays at register
    with UnitOfWork(svc.sessions) as uow:
        ida = actor_of(uow.session.query(User).filter_by(username="ida").one())
    clock.advance(minutes=10)
    complete_task(svc, ida, open_task(svc, instance, "register"), {"note": "Registered by phone"})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    _sign_in(page, live_server, "sue", "/monitoring")
    page.wait_for_selector('[data-testid="dashboard-tiles"]')
    assert page.inner_text('[data-testid="tile-instances"]') == "2"
    assert "monitoring_flow" in page.inner_text('[data-testid="dashboard-processes"]')
    shot(page, "monitoring-dashboard")

    page.click('a[data-testid="subnav-instances"]')
    page.wait_for_selector('[data-testid="instance-table"]')
    page.click(f'a[data-testid="instance-link"]:text-is("{instance}")')
    page.wait_for_selector('[data-diagram-ready="true"]', timeout=20_000)
    active = page.locator('.djs-element.marker-active[data-element-id="review"]')
    assert active.count() == 1
    assert page.locator('.djs-element.marker-active[data-element-id="period_over"]').count() == 1
    assert page.locator('.djs-element.marker-completed[data-element-id="register"]').count() == 1
    assert page.locator('.djs-element.marker-active[data-element-id="register"]').count() == 0
    # the marker is drawn: the task's shape takes the stylesheet's highlight colour
    stroke = active.locator(".djs-visual > :first-child").evaluate("e => getComputedStyle(e).stroke")
    assert stroke == "rgb(11, 92, 171)"
    assert page.get_attribute('[data-testid="diagram-error"]', "hidden") is not None
    shot(page, "monitoring-instance-diagram")
    assert [e for e in errors if "Content Security Policy" in e] == []


def test_the_statistics_report_draws_its_charts(page: Any, live_server: str, svc: Services) -> None:
    make_user(svc, "sue", ["supervisor"])
    referrers = ["police"] * 9 + ["reception_centre"] * 6 + ["self"] * 2
    for n, referrer in enumerate(referrers):
        record = stat_person(
            svc,
            received=date(2025, 1 + n % 12, 3),
            decided=date(2025, 1 + n % 12, 20) if n % 5 else None,
            referrer_type=referrer,
            gender="female" if n % 3 else "male",
            age_at_admission=18 + 3 * n,
            nationalities=["NG", "VN", "UA", "FI"][n % 4 : n % 4 + 1],
            residence_status=["residence_permit", "asylum_seeker", "undocumented", "finnish_citizen"][n % 4],
            exploited_in="finland",
        )
        exploitation(svc, record, ["forced_labour", "sexual_exploitation", "begging"][n % 3], True)
    _sign_in(page, live_server, "sue", "/statistics/2025")
    page.wait_for_selector("#chart-referrers rect")
    assert page.locator("#chart-series .bar").count() == 5
    shot(page, "statistics-report")
    page.click('[data-testid="publish-toggle"]')
    page.wait_for_selector('[data-testid="publication-mode"]')
    assert page.locator('[data-testid="hidden-cell"]').count() > 0
    shot(page, "statistics-report-published")
