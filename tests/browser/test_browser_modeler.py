"""A process owner in headless Chromium: opens the modeler on `decision`, adds a user task in the Decider
lane, sees the lint error for its missing form on the diagram, picks a form, runs the scenario tests,
deploys, and finds version n+1 in the version list; and saves a decision table in the DMN editor.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import json

import pytest
from support import OWNER, ROOT, shot

from cli.main import collect_files
from services.context import Services
from services.deploy import deploy
from services.process_editor import open_draft, save_file
from services.users import add_user
from services.version_history import list_versions

pytestmark = pytest.mark.browser
PASSWORD = "browser test password 42"

SCENARIOS = {
    "scenarios": [
        {
            "name": "a referral reaches the drafting of the decision",
            "start": {"data": {"referral": {"received_at": "2026-03-01"}, "is_child": False}},
            "steps": [],
            "expect": {"path": ["prepare_decision"], "waiting": ["draft_decision"]},
        }
    ]
}


def _deployed_models(svc: Services) -> int:
    if not (ROOT / "bpmn" / "decision.bpmn").is_file():
        pytest.fail("bpmn/decision.bpmn is missing")
    deploy(svc, OWNER, collect_files([str(ROOT / "bpmn"), str(ROOT / "forms" / "schemas")]), change_note="models")
    return list_versions(svc, OWNER, "decision")[0].version


def _sign_in_as_process_owner(p: object, live_server: str, svc: Services) -> list[str]:
    """Olga, a process owner, signed in (English UI); returns the list the page's CSP violations go to."""
    add_user(svc, "olga", ["process_owner"], password=PASSWORD, display_name="Olga")
    csp_violations: list[str] = []
    p.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)  # type: ignore[attr-defined]
    p.context.add_cookies([{"name": "auttamo_lang", "value": "en", "url": live_server}])  # type: ignore[attr-defined]
    p.goto(f"{live_server}/login")  # type: ignore[attr-defined]
    p.fill("#login-username", "olga")  # type: ignore[attr-defined]
    p.fill("#login-password", PASSWORD)  # type: ignore[attr-defined]
    p.click("#login-submit")  # type: ignore[attr-defined]
    return csp_violations


def test_process_owner_edits_checks_tests_and_deploys_decision(page: object, live_server: str, svc: Services) -> None:
    p: object = page
    before = _deployed_models(svc)
    csp_violations = _sign_in_as_process_owner(p, live_server, svc)

    p.goto(f"{live_server}/processes/decision/edit")  # type: ignore[attr-defined]
    p.wait_for_selector("#modeler-app[data-ready=true]")  # type: ignore[attr-defined]
    shot(p, "modeler-1-opened")

    # Add a task from the palette, dropped inside the Decider lane, and make it a user task.
    lane = p.evaluate(  # type: ignore[attr-defined]
        """() => {
          const registry = window.auttamoModeler.get('elementRegistry');
          const lane = registry.filter(
            e => e.businessObject.$type === 'bpmn:Lane' && e.businessObject.name === 'Decider')[0];
          const box = registry.getGraphics(lane).getBoundingClientRect();
          return {x: box.x, y: box.y, width: box.width, height: box.height};
        }"""
    )
    p.click(".djs-palette .entry.bpmn-icon-task")  # type: ignore[attr-defined]
    x, y = lane["x"] + lane["width"] * 0.2, lane["y"] + lane["height"] * 0.75
    p.mouse.move(x, y)  # type: ignore[attr-defined]
    p.mouse.move(x + 5, y + 5)  # type: ignore[attr-defined]
    p.mouse.click(x + 5, y + 5)  # type: ignore[attr-defined]
    p.wait_for_selector("[data-testid=panel-type] select")  # type: ignore[attr-defined]
    p.select_option("[data-testid=panel-type] select", "bpmn:UserTask")  # type: ignore[attr-defined]
    p.wait_for_selector("[data-testid=panel-form] select")  # type: ignore[attr-defined]
    p.fill("[data-testid=panel-name] input", "Second opinion")  # type: ignore[attr-defined]
    p.press("[data-testid=panel-name] input", "Tab")  # type: ignore[attr-defined]
    new_id = p.evaluate(  # type: ignore[attr-defined]
        "() => window.auttamoModeler.get('selection').get()[0].id"
    )
    lane_name = p.eval_on_selector("[data-testid=panel-lane] select", "s => s.value")  # type: ignore[attr-defined]
    assert lane_name == "Decider"

    # Check: the engine's lint names the new task, which is marked on the diagram.
    p.click("#modeler-check")  # type: ignore[attr-defined]
    p.wait_for_selector("[data-testid=report-error]")  # type: ignore[attr-defined]
    error = p.locator(f'[data-testid=report-error] [data-rule="form-missing"][data-element="{new_id}"]')  # type: ignore[attr-defined]
    assert error.count() == 1 and "has no form" in error.inner_text()
    assert p.locator(f'.djs-element.auttamo-issue--error[data-element-id="{new_id}"]').count() == 1  # type: ignore[attr-defined]
    assert p.locator('[data-testid=report-warning] [data-rule^="bpmnlint/"]').count() >= 1  # type: ignore[attr-defined]
    shot(p, "modeler-2-missing-form")

    # Pick a form for it; the check is clean again.
    p.select_option("[data-testid=panel-form] select", "approve_decision-schema.json")  # type: ignore[attr-defined]
    p.click("#modeler-check")  # type: ignore[attr-defined]
    p.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('[data-testid=report-summary]') && "
        "!document.querySelector('[data-testid=report-error]')"
    )
    assert "No errors" in p.inner_text("[data-testid=report-summary]")  # type: ignore[attr-defined]
    assert p.locator(".djs-element.auttamo-issue--error").count() == 0  # type: ignore[attr-defined]
    shot(p, "modeler-3-form-picked")

    # Scenario tests: attach one and run it.
    p.click("[data-testid=tab-scenarios]")  # type: ignore[attr-defined]
    p.fill("[data-testid=scenario-file]", json.dumps(SCENARIOS, indent=2))  # type: ignore[attr-defined]
    p.click("[data-testid=scenario-run]")  # type: ignore[attr-defined]
    p.wait_for_selector("[data-testid=scenario-results]")  # type: ignore[attr-defined]
    assert p.locator('[data-testid=scenario][data-passed="true"]').count() == 1  # type: ignore[attr-defined]
    assert "prepare_decision" in p.inner_text("[data-testid=scenario-results]")  # type: ignore[attr-defined]
    shot(p, "modeler-4-scenarios")

    # Check and deploy with a change note; version n+1 is listed.
    p.click("[data-testid=tab-deploy]")  # type: ignore[attr-defined]
    assert p.locator("[data-testid=report-ok]").count() == 1  # type: ignore[attr-defined]
    p.fill("[data-testid=deploy-note]", "A second opinion before the decision is recorded")  # type: ignore[attr-defined]
    p.click("[data-testid=deploy]")  # type: ignore[attr-defined]
    p.wait_for_selector(f'[data-testid=version-row][data-version="{before + 1}"]')  # type: ignore[attr-defined]
    row = p.inner_text(f'[data-testid=version-row][data-version="{before + 1}"]')  # type: ignore[attr-defined]
    assert "A second opinion" in row and "olga" in row
    assert "decision.scenarios.json" in row  # the scenarios are stored with the version
    shot(p, "modeler-5-deployed")
    assert list_versions(svc, OWNER, "decision")[0].version == before + 1
    assert csp_violations == []


def test_process_owner_opens_and_saves_a_decision_table(page: object, live_server: str, svc: Services) -> None:
    """The DMN editor (modeler-dmn.js on modeler-common.js): loads the draft's table, saves it back with the
    draft revision, and says so; a second tab's stale revision is refused as a conflict."""
    p: object = page
    _deployed_models(svc)
    csp_violations = _sign_in_as_process_owner(p, live_server, svc)

    p.goto(f"{live_server}/processes/consent/edit/dmn")  # type: ignore[attr-defined]
    p.wait_for_selector("#dmn-app[data-ready=true]")  # type: ignore[attr-defined]
    assert p.locator("[data-testid=dmn-view]").count() >= 1  # type: ignore[attr-defined]
    assert p.locator(".tjs-table").count() == 1  # type: ignore[attr-defined]
    revision = open_draft(svc, OWNER, "consent").revision

    p.click("#dmn-save")  # type: ignore[attr-defined]
    p.wait_for_selector("#dmn-status[data-kind=ok]")  # type: ignore[attr-defined]
    assert open_draft(svc, OWNER, "consent").revision > revision
    shot(p, "dmn-1-saved")

    # Someone else saves the draft meanwhile: this page's revision is stale, so its save is a conflict.
    draft = open_draft(svc, OWNER, "consent")
    name = next(f.name for f in draft.of_kind("dmn"))
    save_file(svc, OWNER, "consent", name, draft.file(name).content, revision=draft.revision)  # type: ignore[union-attr]
    p.click("#dmn-save")  # type: ignore[attr-defined]
    p.wait_for_selector("#dmn-status[data-kind=error]")  # type: ignore[attr-defined]
    assert "Someone else saved this draft meanwhile" in p.inner_text("#dmn-status")  # type: ignore[attr-defined]
    # dmn-js sizes columns with style attributes, which this page alone allows (style-src-attr); nothing
    # else is refused: no script, no stylesheet.
    assert csp_violations == []
