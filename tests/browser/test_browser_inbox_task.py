"""Issue #3, "Done when": in headless Chromium a caseworker signs in, opens the inbox, claims a task,
fills its form with a validation error, sees the error next to the field, fixes it and completes it;
the task leaves the inbox and the next one appears. A screenshot is saved at every step.

The data is seeded through the services (the server shares the test's database), then only the
browser acts: the selectors are the ones the pages provide for people and tests alike. The user's
own language is Finnish (the default), so the page — and the form's error messages — are in Finnish
although the browser asks for English.
"""

from __future__ import annotations

import re
from typing import Any

from support import shot
from support_api import case_with_flow, deploy_case_flow

from services.context import Services
from services.users import add_user
from web.i18n import Catalogs

PASSWORD = "browser test password 42"


def _rows(page: Any) -> list[str]:
    """The task titles of the inbox table now shown (empty when the inbox says "No tasks here")."""
    return [t.strip() for t in page.locator('[data-testid="inbox-row"] [data-testid="open-task"]').all_inner_texts()]


def test_claim_fix_and_complete_a_task_in_chromium(page: Any, live_server: str, svc: Services) -> None:
    deploy_case_flow(svc)
    # One person on both lanes of the flow, so the next task (the Caseworker's assessment) shows up
    # in the same team inbox once the registration (Intake) is completed.
    add_user(svc, "riikka", ["intake", "caseworker"], password=PASSWORD, team="Helsinki", display_name="Riikka")
    case_id, _instance_id = case_with_flow(svc, "Helsinki", reference="AUT-2026-000101")
    fi = Catalogs()

    # Sign in: the app opens on the sign-in page.
    page.goto(f"{live_server}/")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("#login-username", "riikka")
    page.fill("#login-password", PASSWORD)
    shot(page, "inbox-task-01-sign-in")
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/inbox"))
    assert page.locator('[data-testid="inbox-empty"]').is_visible()  # "my tasks": nothing claimed yet
    shot(page, "inbox-task-02-my-tasks-empty")

    # The team's unclaimed tasks: the case's registration waits there.
    page.click('[data-testid="view-team"]')
    page.wait_for_url(re.compile(r"view=team"))
    row = page.locator('[data-testid="inbox-row"]', has_text="Register the case")
    assert row.count() == 1 and "AUT-2026-000101" in row.inner_text()
    assert _rows(page) == ["Register the case"]
    shot(page, "inbox-task-03-team-inbox")

    # Claim it: the task page opens, assigned to me.
    row.locator('[data-testid="claim"]').click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    task_url = page.url
    assert page.locator('[data-testid="task-assignee"]').inner_text().strip() == "riikka"
    assert page.locator('[data-testid="task-title"]').inner_text().strip() == "Register the case"
    shot(page, "inbox-task-04-claimed")

    # A validation error: the name left empty. The form is sent (novalidate: the server decides).
    page.fill("#f-client_name", "")
    page.fill("#f-received_on", "2026-02-27")
    page.check("#f-urgent")
    page.click("#task-complete")
    error = page.locator("#f-client_name-error")
    error.wait_for()
    assert error.inner_text().strip() == "Tämä kenttä on pakollinen."  # forms.validate_form(lang="fi")
    assert page.get_attribute("#f-client_name", "aria-invalid") == "true"
    assert page.locator('[data-testid="error-summary"]').is_visible()
    assert page.input_value("#f-received_on") == "2026-02-27" and page.is_checked("#f-urgent")  # input kept
    assert page.url == task_url
    shot(page, "inbox-task-05-validation-error")

    # Fix it and complete: back to the inbox with a confirmation.
    page.fill("#f-client_name", "Anna Example")
    assert page.locator("#f-client_name-error").count() == 1  # still shown until the server answers
    shot(page, "inbox-task-06-fixed")
    page.click("#task-complete")
    page.wait_for_url(re.compile(r"/inbox$"))
    done = fi.gettext("fi", "Task completed: %(title)s", title="Register the case")
    assert page.locator('[data-testid="flash"]').first.inner_text().strip() == done
    assert "Register the case" not in _rows(page)
    shot(page, "inbox-task-07-completed")

    # The registration is gone from the team's tasks and the assessment (the next task) appears.
    page.click('[data-testid="view-team"]')
    page.wait_for_url(re.compile(r"view=team"))
    assert _rows(page) == ["Assess the situation"]
    shot(page, "inbox-task-08-next-task")

    # The completed task reads back with its values, read-only.
    page.click('[data-testid="view-completed"]')
    page.wait_for_url(re.compile(r"view=completed"))
    assert _rows(page) == ["Register the case"]
    page.locator('[data-testid="open-task"]').first.click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    assert page.locator('[data-testid="completed-values"]').is_visible()
    assert page.input_value("#f-client_name") == "Anna Example" and page.is_disabled("#f-client_name")
    assert page.locator("#task-complete").count() == 0
    shot(page, "inbox-task-09-completed-read-only")

    # The case page shows the history of it.
    page.goto(f"{live_server}/cases/{case_id}")
    assert "task_completed" in page.locator('[data-testid="case-timeline"]').inner_text()
    shot(page, "inbox-task-10-case")
