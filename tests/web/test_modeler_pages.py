"""The process owner's pages over real HTTP: process list, versions and diff, the modeler shell, the form
editor with its live preview, scenario tests, check and deploy, migration, and the SpiffArena import."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from page_helpers import make_user, page_client, page_token, post, sign_in
from support import DATA, INTAKE, OWNER, ROOT, files_of
from support_api import actor

from cli.main import collect_files
from engine import SourceFile
from services.context import Services
from services.deploy import deploy
from services.instances import get_instance, start_instance
from services.process_editor import open_draft, save_file
from services.tasks import complete_task
from services.uow import UnitOfWork
from store.models import HumanTask


@pytest.fixture
def owner(svc: Services) -> Iterator[TestClient]:
    make_user(svc, "olga", ["process_owner"])
    deploy(svc, OWNER, files_of("case_flow"), change_note="first version")
    with page_client(svc) as client:
        sign_in(client, "olga")
        client.cookies.set("auttamo_lang", "en")  # assertions read English
        yield client


def _config(page: str) -> dict[str, object]:
    found = re.search(r"data-config='([^']*)'", page)
    assert found, "no modeler config on the page"
    config: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return config


def _flash(client: TestClient, path: str) -> str:
    return " ".join(re.findall(r'data-testid="flash">([^<]*)<', client.get(path).text))


def test_process_list_versions_and_diff(owner: TestClient, svc: Services) -> None:
    start_instance(svc, OWNER, "case_flow", {})
    files = [SourceFile(f.name, f.content.replace(b"Assess the situation", b"Judge")) for f in files_of("case_flow")]
    deploy(svc, OWNER, files, change_note="shorter name")

    listing = owner.get("/processes")
    assert listing.status_code == 200 and 'data-process="case_flow"' in listing.text
    versions = owner.get("/processes/case_flow")
    assert versions.text.count('data-testid="version-row"') == 2 and "shorter name" in versions.text
    assert "/api/v1/process-definitions/case_flow/versions/1/files/case_flow.bpmn" in versions.text
    assert 'href="/processes/case_flow/migrate?from=1">1</a>' in versions.text  # one instance still on v1

    diff = owner.get("/processes/case_flow/diff?from=1&to=2")
    assert diff.status_code == 200
    assert 'data-element="assess"' in diff.text and "Judge" in diff.text and "name" in diff.text
    assert owner.get("/processes/case_flow/diff?from=1").status_code == 422
    assert owner.get("/processes/nope").status_code == 404


def test_a_new_process_starts_as_a_draft(owner: TestClient) -> None:
    bad = post(owner, "/processes/new", {"process_id": "Bad Id", "name": "x"})
    assert bad.status_code == 422 and "snake_case" in bad.text
    made = post(owner, "/processes/new", {"process_id": "follow_up", "name": "Follow-up"})
    assert made.status_code == 303 and made.headers["location"] == "/processes/follow_up/edit"
    page = owner.get("/processes/follow_up/edit")
    assert _config(page.text)["fileName"] == "follow_up.bpmn"
    assert "draft by olga" in owner.get("/processes").text


def test_the_modeler_shell_loads_the_draft_or_a_version_read_only(owner: TestClient, svc: Services) -> None:
    page = owner.get("/processes/case_flow/edit?focus=assess")
    assert page.status_code == 200
    config = _config(page.text)
    assert config["fileUrl"] == "/api/v1/process-definitions/case_flow/draft/files/case_flow.bpmn"
    assert config["saveUrl"] == config["fileUrl"] and config["readOnly"] is False and config["focus"] == "assess"
    assert "register-schema.json" in config["forms"] and "register-uischema.json" in config["uiForms"]  # type: ignore[operator]
    assert "Decider" in config["lanes"]  # type: ignore[operator]
    assert "/static/vendor/bpmn-js/bpmn-modeler.production.min.js" in page.text
    assert "<script>" not in page.text.replace("<script src=", "")  # no inline scripts (CSP)

    old = owner.get("/processes/case_flow/edit?version=1")
    config = _config(old.text)
    assert config["readOnly"] is True and config["saveUrl"] == "" and "bpmn-navigated-viewer" in old.text
    assert config["fileUrl"] == "/api/v1/process-definitions/case_flow/versions/1/files/case_flow.bpmn"
    assert 'action="/processes/case_flow/edit/from-version"' in old.text

    make_user(svc, "sue", ["supervisor"])
    with page_client(svc) as other:
        sign_in(other, "sue")
        other.cookies.set("auttamo_lang", "en")  # assertions read English
        assert _config(other.get("/processes/case_flow/edit").text)["readOnly"] is True
        assert "modeler-save" not in other.get("/processes/case_flow/edit").text


def test_the_dmn_editor_opens_decision_tables(svc: Services) -> None:
    make_user(svc, "olga", ["process_owner"])
    deploy(svc, OWNER, collect_files([str(ROOT / "bpmn"), str(ROOT / "forms" / "schemas")]))
    with page_client(svc) as client:
        sign_in(client, "olga")
        client.cookies.set("auttamo_lang", "en")  # assertions read English
        page = client.get("/processes/decision/edit/dmn")
        assert page.status_code == 200 and "/static/vendor/dmn-js/dmn-modeler.production.min.js" in page.text
        assert _config(page.text)["fileName"] in {f.name for f in open_draft(svc, OWNER, "decision").of_kind("dmn")}
        assert client.get("/static/vendor/dmn-js/dmn-modeler.production.min.js").status_code == 200
        assert client.get("/static/vendor/dmn-js/assets/dmn-js-decision-table.css").status_code == 200


def test_the_form_editor_previews_with_the_caseworkers_macros(owner: TestClient) -> None:
    page = owner.get("/processes/case_flow/edit/forms?file=register-schema.json")
    assert page.status_code == 200 and 'name="json_schema"' in page.text and "register-uischema.json" in page.text
    schema = json.dumps({"type": "object", "properties": {"client_name": {"type": "string", "title": "Name"}}})
    token = page_token(owner, "/processes/case_flow/edit/forms")
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    preview = owner.post(
        "/processes/case_flow/edit/forms/preview",
        data={"json_schema": schema, "ui": '{"client_name": {"ui:help": "As in the passport"}}', "example": "{}"},
        headers=headers,
    )
    assert preview.status_code == 200 and 'data-testid="form-ok"' in preview.text
    assert '<label for="f-client_name">' in preview.text and "As in the passport" in preview.text
    assert "<html" not in preview.text  # a partial

    wrong_data = owner.post(
        "/processes/case_flow/edit/forms/preview",
        data={"json_schema": schema, "ui": "", "example": '{"client_name": 5}'},
        headers=headers,
    )
    assert "field--invalid" in wrong_data.text or "field__error" in wrong_data.text
    not_json = owner.post("/processes/case_flow/edit/forms/preview", data={"json_schema": "{oops"}, headers=headers)
    assert 'data-testid="form-problems"' in not_json.text and "not valid JSON" in not_json.text
    not_form = owner.post(
        "/processes/case_flow/edit/forms/preview", data={"json_schema": '{"type": "string"}'}, headers=headers
    )
    assert 'data-testid="form-problems"' in not_form.text and "object" in not_form.text
    deep = owner.post("/processes/case_flow/edit/forms/preview", data={"json_schema": "[" * 100_000}, headers=headers)
    assert deep.status_code == 200 and 'data-testid="form-problems"' in deep.text
    nested = "{" + '"type": "object", "properties": {"a": {' * 400 + '"type": "string"' + "}}" * 400 + "}"
    deep_schema = owner.post("/processes/case_flow/edit/forms/preview", data={"json_schema": nested}, headers=headers)
    assert deep_schema.status_code == 200


def test_saving_forms_and_a_new_form(owner: TestClient, svc: Services) -> None:
    schema = '{"type": "object", "properties": {"note": {"type": "string"}}}'
    saved = post(
        owner,
        "/processes/case_flow/edit/forms",
        {"file": "assess-schema.json", "json_schema": schema, "ui": '{"ui:order": ["note"]}', "revision": "0"},
    )
    assert saved.status_code == 303
    draft = open_draft(svc, OWNER, "case_flow")
    assert draft.revision == 1 and draft.file("assess-schema.json").content == schema  # type: ignore[union-attr]
    assert draft.file("assess-uischema.json") is not None
    stale = post(
        owner, "/processes/case_flow/edit/forms", {"file": "assess-schema.json", "json_schema": "{}", "revision": "0"}
    )
    assert stale.status_code == 409 and 'data-testid="form-editor-error"' in stale.text and "{}" in stale.text
    made = post(owner, "/processes/case_flow/edit/forms/new", {"name": "follow_up_call", "revision": "1"})
    assert made.headers["location"] == "/processes/case_flow/edit/forms?file=follow_up_call-schema.json"
    assert open_draft(svc, OWNER, "case_flow").file("follow_up_call-uischema.json") is not None


SCENARIOS = {
    "scenarios": [
        {
            "name": "registered, then assessed",
            "start": {"data": {}},
            "steps": [
                {"complete": "register", "data": {"client_name": "A", "received_on": "2026-03-01"}},
                {"complete": "assess", "data": {"risk_level": 1}},
            ],
            "expect": {"path": ["register", "set_deadline", "assess"], "waiting": ["wait_gw"]},
        },
        {"name": "expects the impossible", "start": {"data": {}}, "steps": [], "expect": {"completed": True}},
    ]
}


def test_scenarios_run_and_a_failure_blocks_the_deploy(owner: TestClient, svc: Services) -> None:
    page = owner.get("/processes/case_flow/edit/scenarios")
    assert (
        '"complete": "register"' in html.unescape(page.text) and 'data-testid="scenario-tasks"' in page.text
    )  # an example
    ran = post(
        owner,
        "/processes/case_flow/edit/scenarios",
        {"content": json.dumps(SCENARIOS), "revision": "0", "action": "run"},
    )
    assert ran.status_code == 200
    assert ran.text.count('data-passed="true"') == 1 and ran.text.count('data-passed="false"') == 1
    assert "register → set_deadline → assess" in ran.text and 'data-testid="deploy-blocked"' in ran.text

    check = owner.get("/processes/case_flow/edit/deploy")
    assert 'data-testid="deploy-blocked"' in check.text and 'data-testid="override"' not in check.text
    refused = post(owner, "/processes/case_flow/edit/deploy", {"note": "with tests", "revision": "1"})
    assert refused.status_code == 422 and "Nothing was deployed" in refused.text and "scenario" in refused.text

    make_user(svc, "sue", ["supervisor"])
    with page_client(svc) as boss:
        sign_in(boss, "sue")
        boss.cookies.set("auttamo_lang", "en")  # assertions read English
        form = boss.get("/processes/case_flow/edit/deploy")
        assert 'data-testid="override"' in form.text and 'data-testid="deploy-note"' not in form.text
        short = post(boss, "/processes/case_flow/edit/override", {"reason": "ok", "revision": "1"})
        assert short.status_code == 422
        approved = post(
            boss, "/processes/case_flow/edit/override", {"reason": "known gap, fixed next week", "revision": "1"}
        )
        assert approved.status_code == 303
    assert "sue approved deploying these exact files" in owner.get("/processes/case_flow/edit/deploy").text
    deployed = post(owner, "/processes/case_flow/edit/deploy", {"note": "with tests", "revision": "1"})
    assert deployed.status_code == 303 and deployed.headers["location"] == "/processes/case_flow"
    flashed = _flash(owner, "/processes/case_flow")
    assert "case_flow 2" in flashed and "approved by sue" in flashed
    assert 'data-version="2"' in owner.get("/processes/case_flow").text


def test_check_and_deploy_page_names_element_and_rule(owner: TestClient, svc: Services) -> None:
    xml = open_draft(svc, OWNER, "case_flow").file("case_flow.bpmn").content  # type: ignore[union-attr]
    save_file(svc, OWNER, "case_flow", "case_flow.bpmn", xml.replace('"P30D"', "P30D"), revision=0)
    page = owner.get("/processes/case_flow/edit/deploy")
    assert 'data-rule="timer-unquoted" data-element="assess_overdue"' in page.text
    assert 'href="/processes/case_flow/edit?file=case_flow.bpmn&amp;focus=assess_overdue"' in page.text
    assert 'data-rule="bpmnlint/label-required"' in page.text
    empty_note = post(owner, "/processes/case_flow/edit/deploy", {"note": "", "revision": "1"})
    assert empty_note.status_code == 422


def _at_assess(svc: Services) -> int:
    info = start_instance(svc, OWNER, "case_flow", {})
    with UnitOfWork(svc.sessions) as uow:
        task = uow.session.query(HumanTask).filter_by(instance_id=info.id, bpmn_id="register").one()
    complete_task(svc, INTAKE, task.id, {"client_name": "A", "received_on": "2026-03-01"})
    return info.id


def test_migration_safe_moves_unsafe_refused_with_the_reason_and_revert(owner: TestClient, svc: Services) -> None:
    fresh = start_instance(svc, OWNER, "case_flow", {}).id  # waits at register: nothing done yet
    at_assess = _at_assess(svc)  # set_deadline already ran
    changed = [
        SourceFile(f.name, f.content.replace(b"add_days(received_on, 30)", b"add_days(received_on, 45)"))
        for f in files_of("case_flow")
    ]
    deploy(svc, OWNER, changed, change_note="45 days")

    page = owner.get("/processes/case_flow/migrate")
    assert f'data-instance="{fresh}" data-safe="true"' in page.text
    assert f'data-instance="{at_assess}" data-safe="false"' in page.text and "set_deadline" in page.text

    unsafe = post(owner, "/processes/case_flow/migrate", {"to": "2", "one": str(at_assess)})
    assert unsafe.status_code == 303
    assert "set_deadline" in _flash(owner, "/processes/case_flow/migrate")
    assert get_instance(svc, OWNER, at_assess).version == 1

    batch = post(
        owner,
        "/processes/case_flow/migrate",
        [("to", "2"), ("instance_id", str(fresh)), ("instance_id", str(at_assess))],
    )
    assert batch.status_code == 303
    text = _flash(owner, "/processes/case_flow/migrate")
    assert f"#{fresh}" in text and f"#{at_assess}" in text
    assert get_instance(svc, OWNER, fresh).version == 2 and get_instance(svc, OWNER, at_assess).version == 1

    listing = owner.get("/processes/case_flow/migrate")
    migration_id = re.search(r'data-migration="(\d+)"', listing.text).group(1)  # type: ignore[union-attr]
    reverted = post(owner, f"/processes/case_flow/migrations/{migration_id}/revert", {})
    assert reverted.status_code == 303 and get_instance(svc, OWNER, fresh).version == 1


def _zip(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted((DATA / folder).iterdir()):
            zf.write(path, f"{folder}/{path.name}")
    return buffer.getvalue()


def _import(client: TestClient, files: list[tuple[str, bytes]], mode: str) -> object:
    token = page_token(client, "/processes/import")
    return client.post(
        "/processes/import",
        data={"mode": mode, "note": ""},
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )


def test_a_spiffarena_folder_imports_and_its_task_renders(owner: TestClient, svc: Services) -> None:
    checked = _import(owner, [("model.zip", _zip("spiffarena_model"))], "check")
    assert checked.status_code == 200 and 'data-testid="import-valid"' in checked.text  # type: ignore[attr-defined]
    assert 'data-rule="lane-missing"' in checked.text  # type: ignore[attr-defined]
    files = [(p.name, p.read_bytes()) for p in sorted((DATA / "spiffarena_model").iterdir())]
    done = _import(owner, files, "deploy")
    assert done.status_code == 200 and 'data-testid="imported-versions"' in done.text  # type: ignore[attr-defined]

    make_user(svc, "sue", ["supervisor"])
    sue = actor(svc, "sue")
    info = start_instance(svc, sue, "Process_follow_up_call_7qk2m1", {})
    (task,) = info.open_tasks
    with page_client(svc) as client:
        sign_in(client, "sue")
        client.cookies.set("auttamo_lang", "en")  # assertions read English
        page = client.get(f"/tasks/{task['id']}")
        assert page.status_code == 200, page.text
        assert "Did you reach the client?" in page.text and "What was agreed" in page.text
        assert "Call the client and note what was agreed." in page.text  # instructions
        assert "In a few words." in page.text  # from the UI schema


def test_malformed_imports_get_a_report_never_a_500(owner: TestClient) -> None:
    not_xml = _import(owner, [("model.bpmn", b"\x89PNG not xml")], "deploy")
    assert not_xml.status_code == 422 and 'data-rule="xml-malformed"' in not_xml.text  # type: ignore[attr-defined]
    camunda = (
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        b'<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:complexGateway id="cg"/>'
        b'<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="cg"/></bpmn:process></bpmn:definitions>'
    )
    other_tool = _import(owner, [("p.bpmn", camunda)], "check")
    assert other_tool.status_code == 422 and 'data-rule="element-unsupported" data-element="cg"' in other_tool.text  # type: ignore[attr-defined]
    broken_zip = _import(owner, [("model.zip", b"PK\x03\x04broken")], "draft")
    assert broken_zip.status_code == 422 and 'data-rule="zip-malformed"' in broken_zip.text  # type: ignore[attr-defined]
    huge = _import(owner, [("huge.bpmn", b"<a>" + b" " * (20 * 1024 * 1024) + b"</a>")], "deploy")
    assert huge.status_code in (413, 422)  # the request body limit, or the per-file limit in the report
    assert "limit is 5 MB" in huge.text or "2.0" in huge.text  # type: ignore[attr-defined]
    nothing = _import(owner, [], "deploy")
    assert nothing.status_code == 422  # type: ignore[attr-defined]


def test_import_as_a_draft_opens_the_check_page(owner: TestClient) -> None:
    files = [(p.name, p.read_bytes()) for p in sorted((DATA / "spiffarena_model").iterdir())]
    done = _import(owner, files, "draft")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/processes/Process_follow_up_call_7qk2m1/edit/deploy"  # type: ignore[attr-defined]
    page = owner.get("/processes/Process_follow_up_call_7qk2m1/edit/deploy")
    assert page.status_code == 200 and "imported" in page.text
