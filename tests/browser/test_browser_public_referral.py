"""Issue #4, "Done when": in headless Chromium an anonymous person submits the public referral form; it
appears at the top of intake's inbox; the case is carried in the UI (claim, fill, complete) through the
intake check, consent, assessment, the caseworker's admission draft and another official's approval;
the case page shows "admitted"; and the referrer's status page, with the one-time code, says "admitted".

Only the people act through the browser. The one thing not done by a page is the worker's turn
(`run_outbox`): in production `auttamo worker` runs the outbox; here the test runs it once, as the
worker would, so the referrer's notification is written. Screenshots at every stage (test-artifacts/).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from support import OWNER, ROOT, shot
from support_api import referral, user

from cli.main import collect_files
from services.context import Services
from services.deploy import deploy
from services.outbox import run_outbox
from services.users import add_user
from web.app import create_app

PASSWORD = "browser test password 42"
TEAM = "Helsinki"
NEUTRAL = "https://www.google.com/search?q=weather"


def _deploy_the_processes(svc: Services) -> None:
    deploy(svc, OWNER, collect_files([str(ROOT / "bpmn"), str(ROOT / "forms" / "schemas")]), change_note="browser")


def _set(page: Any, name: str, value: Any) -> None:
    """Fill one task-form field by its posted name, whatever widget the form chose for it."""
    field = page.locator(f'[name="{name}"]:not([type="hidden"])').first
    kind = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    option = page.locator(f'[name="{name}"][value="{text}"]')
    if kind.startswith("select"):
        field.select_option(text)
    elif kind.endswith(":radio") or (kind.endswith(":checkbox") and option.count()):
        option.check()
    elif kind.endswith(":checkbox"):
        field.set_checked(bool(value))
    else:
        field.fill(text)


class Person:
    """One official in their own browser context (own cookies), signed in through the sign-in page."""

    def __init__(self, browser: Any, base: str, username: str) -> None:
        self.context = browser.new_context(locale="en-GB")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base = base
        self.page.goto(f"{base}/login")
        self.page.fill("#login-username", username)
        self.page.fill("#login-password", PASSWORD)
        self.page.click("#login-submit")
        self.page.wait_for_url(re.compile(r"/inbox"))
        self._english()

    def _english(self) -> None:
        self.page.select_option('[data-testid="lang-select"]', "en")
        self.page.click('[data-testid="lang-submit"]')
        self.page.wait_for_load_state()

    def team_rows(self) -> Any:
        self.page.goto(f"{self.base}/inbox?view=team")
        return self.page.locator('[data-testid="inbox-row"]')

    def work(self, reference: str, title: str, fields: dict[str, Any], stage: str) -> None:
        """Claim the case's task from the team inbox, fill the form, complete it."""
        row = self.team_rows().filter(has_text=reference).filter(has_text=title)
        assert row.count() == 1, f"{title!r} of {reference} not in the team inbox: {self.page.inner_text('main')}"
        row.locator('[data-testid="claim"]').click()
        self.page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
        for name, value in fields.items():
            if isinstance(value, list):
                for one in value:
                    _set(self.page, name, one)
            else:
                _set(self.page, name, value)
        shot(self.page, f"public-referral-{stage}-form")
        self.page.click("#task-complete")
        self.page.wait_for_load_state()
        if not re.search(r"/inbox", self.page.url):
            raise AssertionError(f"{title} was not completed: {self.page.inner_text('main')[:3000]}")
        shot(self.page, f"public-referral-{stage}-done")

    def close(self) -> None:
        self.context.close()


def test_an_anonymous_referral_is_carried_to_admission_in_chromium(
    page: Any, browser: Any, live_server: str, svc: Services
) -> None:
    _deploy_the_processes(svc)
    for name, roles in (("ida", ["intake"]), ("carl", ["caseworker"]), ("dora", ["decider"])):
        add_user(svc, name, roles, password=PASSWORD, team=TEAM, display_name=name.title())
    partner = user(svc, "police_api", ["referrer"])  # an earlier, ordinary referral from a partner system
    with TestClient(create_app(svc.settings, services=svc)) as api:
        earlier = api.post("/api/v1/referrals", json=referral(), headers=partner)
        assert earlier.status_code == 201, earlier.text

    # The referrer, anonymous, in English.
    page.goto(f"{live_server}/refer")
    assert page.locator('[data-testid="quick-exit"]').is_visible()
    page.select_option("#r-referrer_type", "victim_support")
    page.fill("#r-given_names", "Amina")
    page.fill("#r-family_name", "Testi")
    page.fill("#r-birth_date", "1996-04-12")
    page.select_option("#r-gender", "female")
    page.select_option("#r-nationality_1", "NG")
    page.select_option("#r-language_1", "en")
    page.check("#r-interpreter_needed-no")
    page.select_option("#r-residence_status", "residence_permit")
    page.fill("#r-description", "Cleaned for 14 hours a day without pay; the employer keeps her passport.")
    page.check("#r-exploitation-forced_labour")
    page.select_option("#r-exploited_in", "finland")
    page.check("#r-urgent")
    shot(page, "public-referral-01-form-without-consent")
    page.click("#refer-submit")
    page.locator('[data-testid="error-consent_given"]').wait_for()  # the law: no referral without consent
    assert page.input_value("#r-given_names") == "Amina" and page.is_checked("#r-urgent")  # input kept
    shot(page, "public-referral-02-consent-missing")
    page.check("#r-consent_given")
    page.select_option("#r-consent_method", "verbal_recorded")
    page.click("#refer-submit")
    reference = page.locator('[data-testid="referral-reference"]').inner_text().strip()
    code = page.locator('[data-testid="referral-status-code"]').inner_text().strip()
    assert re.fullmatch(r"AUT-2026-\d{6}", reference) and reference != earlier.json()["reference"]
    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0
    shot(page, "public-referral-03-receipt")

    # Intake: the urgent public referral is on top of the inbox, above the earlier one.
    intake = Person(browser, live_server, "ida")
    rows = intake.team_rows()
    assert rows.count() == 2 and reference in rows.first.inner_text()
    shot(intake.page, "public-referral-04-intake-inbox")
    intake.work(reference, "Check the referral", {"referral_check": "complete"}, "05-check")
    consent = {
        "consent.given": True,
        "consent.date": "2026-03-02",
        "consent.method": "verbal_recorded",
        "consent.share_with": ["migri"],
    }
    intake.work(reference, "Record the consent", consent, "06-consent")
    intake.close()

    # The caseworker: the assessment, then the admission draft.
    carl = Person(browser, live_server, "carl")
    assessment = {"interview.held_on": "2026-03-02", "interview.in_person": True, "safety_risk": "low"}
    carl.work(reference, "Initial assessment", assessment, "07-initial-assessment")
    exploitation = {
        "exploitation_forms.0.form": "forced_labour",
        "exploitation_forms.0.primary": True,
        "exploited_in": "finland",
    }
    carl.work(reference, "Assess the exploitation", exploitation, "08-exploitation")
    needs = {
        "needs_assistance": True,
        "service_needs": ["advice", "legal_aid"],
        "residence_status": "residence_permit",
        "has_municipality_of_residence": True,
        "client_category": "presumed_victim",
    }
    carl.work(reference, "Assess the need for assistance", needs, "09-service-needs")
    draft = {
        "decision.outcome": "admitted",
        "decision.reasoning": "A presumed victim of forced labour who needs assistance.",
        "letter_language": "en",
    }
    carl.work(reference, "Draft the decision", draft, "10-draft")

    # Another official, the decider, approves; the caseworker serves the decision.
    dora = Person(browser, live_server, "dora")
    dora.work(reference, "Approve the decision", {"approval": "approved"}, "11-approval")
    dora.close()
    served = {"notified_on": "2026-03-02", "notification_method": "in_person"}
    carl.work(reference, "Serve the decision on the client", served, "12-served")
    carl.page.goto(f"{live_server}/inbox?view=completed")
    done = carl.page.locator('[data-testid="inbox-row"]', has_text=reference).first
    done.locator('a[href^="/cases/"]').click()  # the case column links to the case page
    carl.page.wait_for_url(re.compile(r"/cases/\d+"))
    decisions = carl.page.locator('[data-testid="case-decisions"], [data-testid="signed-decisions"]').first
    assert "admitted" in decisions.inner_text()
    shot(carl.page, "public-referral-13-case-admitted")
    carl.close()

    # The worker's turn: the decision's notify_referrer message is run from the outbox.
    run_outbox(svc)

    # The referrer checks the status with the reference and the code: admitted, and nothing else.
    page.goto(f"{live_server}/refer/status")
    page.fill("#status-reference", reference)
    page.fill("#status-code", code)
    page.click("#status-submit")
    status = page.locator('[data-testid="referral-status"]')
    assert status.get_attribute("data-status") == "admitted"
    assert "Amina" not in page.inner_text("main") and "forced" not in page.inner_text("main").lower()
    shot(page, "public-referral-14-status-admitted")


def test_the_quick_exit_leaves_and_back_does_not_return(page: Any, live_server: str) -> None:
    page.context.route(
        "https://www.google.com/**", lambda route: route.fulfill(body="<p>weather</p>", content_type="text/html")
    )
    problems: list[str] = []  # a script error or a refused resource would leave the exit half-working
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{live_server}/refer/status")
    page.goto(f"{live_server}/refer")
    page.fill("#r-given_names", "Somebody")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL)
    shot(page, "public-referral-quick-exit")
    page.go_back()
    assert "/refer/status" in page.url  # the form itself is gone from the history
    page.goto(f"{live_server}/refer")
    page.click('[data-testid="quick-exit"]')
    page.wait_for_url(NEUTRAL)
    assert problems == []
