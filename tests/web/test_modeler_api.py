"""The process owner's JSON API: dry-run reports that name element and rule for each seeded defect,
versions with running instances, raw files, diffs, the draft (save, check, deploy), overrides, imports."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from support import DATA, OWNER, files_of
from support_api import user

from services.context import Services
from services.deploy import deploy
from services.instances import start_instance
from web.app import create_app

CASE_FLOW = {f.name: f.content for f in files_of("case_flow")}
API = "/api/v1/process-definitions"


@dataclass
class Api:
    client: TestClient
    owner: dict[str, str]
    supervisor: dict[str, str]


@pytest.fixture
def api(svc: Services) -> Iterator[Api]:
    owner = user(svc, "olga", ["process_owner"])
    supervisor = user(svc, "sue", ["supervisor"])
    with TestClient(create_app(svc.settings, services=svc)) as client:
        yield Api(client, owner, supervisor)


def _upload(files: dict[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, content, "application/octet-stream")) for name, content in files.items()]


def _changed(name: str, old: bytes, new: bytes) -> dict[str, bytes]:
    assert old in CASE_FLOW[name], old
    return {**CASE_FLOW, name: CASE_FLOW[name].replace(old, new)}


CALLER = (
    b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
    b'targetNamespace="t"><bpmn:process id="caller" isExecutable="true"><bpmn:startEvent id="start"/>'
    b'<bpmn:callActivity id="call_it" calledElement="nowhere"/><bpmn:endEvent id="end"/>'
    b'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_it"/>'
    b'<bpmn:sequenceFlow id="f2" sourceRef="call_it" targetRef="end"/></bpmn:process></bpmn:definitions>'
)
DEFECTS = {
    "unknown lane": (_changed("case_flow.bpmn", b'name="Supervisor"', b'name="Janitor"'), "lane-unknown", "escalate"),
    "missing form": (
        _changed(
            "case_flow.bpmn",
            b'<spiffworkflow:property name="formJsonSchemaFilename" value="assess-schema.json" />',
            b"",
        ),
        "form-missing",
        "assess",
    ),
    "unquoted timer": (_changed("case_flow.bpmn", b'"P30D"', b"P30D"), "timer-unquoted", "assess_overdue"),
    "invalid schema": (
        {**CASE_FLOW, "assess-schema.json": b'{"type": "object", "properties": {"x": {"type": "nonsense"}}}'},
        "form-invalid",
        "assess",
    ),
    "missing called process": ({"caller.bpmn": CALLER}, "call-unresolved", "call_it"),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_dry_run_report_names_element_and_rule_for_each_defect(api: Api, defect: str) -> None:
    files, rule, element = DEFECTS[defect]
    response = api.client.post(f"{API}?dry_run=true", files=_upload(files), headers=api.owner)
    assert response.status_code == 422, response.text
    report = response.json()["detail"]["report"]
    assert (rule, element) in [(e["rule"], e["element_id"]) for e in report["errors"]]
    issue = next(e for e in report["errors"] if e["rule"] == rule)
    assert issue["file"] and issue["message"] and issue["severity"] == "error"
    assert any(w["rule"].startswith("bpmnlint/") for w in report["warnings"])  # bpmnlint's advice comes along


def test_a_valid_dry_run_answers_200_with_bpmnlint_warnings(api: Api) -> None:
    response = api.client.post(f"{API}?dry_run=true", files=_upload(CASE_FLOW), headers=api.owner)
    assert response.status_code == 200 and response.json()["ok"] is True
    lint = [(w["rule"], w["element_id"]) for w in response.json()["warnings"] if w["rule"].startswith("bpmnlint/")]
    assert ("bpmnlint/label-required", "start") in lint  # case_flow's start event has no name


def test_versions_files_and_diff(api: Api, svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"), change_note="first")
    start_instance(svc, OWNER, "case_flow", {})
    changed = _changed("case_flow.bpmn", b'name="Assess the situation"', b'name="Assess the client"')
    assert api.client.post(f"{API}?note=rename", files=_upload(changed), headers=api.owner).status_code == 201

    versions = api.client.get(f"{API}/case_flow/versions", headers=api.supervisor).json()
    assert [(v["version"], v["running_instances"], v["deployed_by"]) for v in versions] == [
        (2, 0, "olga"),
        (1, 1, "owner"),
    ]
    assert versions[0]["change_note"] == "rename" and "case_flow.bpmn" in versions[0]["files"]

    raw = api.client.get(f"{API}/case_flow/versions/1/files/case_flow.bpmn", headers=api.owner)
    assert raw.status_code == 200 and raw.content == CASE_FLOW["case_flow.bpmn"]
    assert raw.headers["content-type"].startswith("application/xml")
    assert raw.headers["content-disposition"] == 'attachment; filename="case_flow.bpmn"'
    assert api.client.get(f"{API}/case_flow/versions/1/files/nope.bpmn", headers=api.owner).status_code == 404
    assert api.client.get(f"{API}/case_flow/versions/9/files/case_flow.bpmn", headers=api.owner).status_code == 404

    diff = api.client.get(f"{API}/case_flow/diff?from=1&to=2", headers=api.owner).json()
    (process,) = diff["processes"]
    assert process["changed"] == [
        {"element_id": "assess", "name": "Assess the client", "type": "userTask", "changed": ["name"]}
    ]
    assert diff["files_changed"] == ["case_flow.bpmn"]
    assert api.client.get(f"{API}/case_flow/diff?from=1&to=1", headers=api.owner).status_code == 422


def test_draft_save_check_deploy_over_the_api(api: Api, svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    draft = api.client.get(f"{API}/case_flow/draft", headers=api.owner).json()
    assert (draft["saved"], draft["revision"], draft["base_version"]) == (False, 0, 1)
    xml = api.client.get(f"{API}/case_flow/draft/files/case_flow.bpmn", headers=api.owner).text
    assert xml == CASE_FLOW["case_flow.bpmn"].decode()

    url = f"{API}/case_flow/draft/files/case_flow.bpmn"
    broken = xml.replace('name="Supervisor"', 'name="Janitor"')
    saved = api.client.put(url, json={"content": broken, "revision": 0}, headers=api.owner)
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    stale = api.client.put(url, json={"content": xml, "revision": 0}, headers=api.owner)
    assert stale.status_code == 409 and "meanwhile" in stale.json()["detail"]

    check = api.client.post(f"{API}/case_flow/draft/check?scenarios=false", headers=api.owner).json()
    assert check["ok"] is False and check["errors"][0]["element_id"] == "escalate"
    refused = api.client.post(f"{API}/case_flow/draft/deploy", json={"note": "x y z", "revision": 1}, headers=api.owner)
    assert refused.status_code == 422 and refused.json()["detail"]["report"]["errors"][0]["rule"] == "lane-unknown"

    fixed = api.client.put(
        url, json={"content": xml.replace("Assess the", "Judge the"), "revision": 1}, headers=api.owner
    )
    assert fixed.json()["revision"] == 2
    deployed = api.client.post(
        f"{API}/case_flow/draft/deploy", json={"note": "clearer names", "revision": 2}, headers=api.owner
    )
    assert deployed.status_code == 201, deployed.text
    assert [(v["version"], v["created"]) for v in deployed.json()["versions"]] == [(2, True)]
    assert api.client.get(f"{API}/case_flow/draft", headers=api.owner).json()["saved"] is False

    extra = api.client.put(
        f"{API}/case_flow/draft/files/notes.json", json={"content": "{}", "revision": 0}, headers=api.owner
    )
    assert extra.status_code == 200
    gone = api.client.delete(f"{API}/case_flow/draft/files/notes.json?revision=1", headers=api.owner)
    assert [f["name"] for f in gone.json()["files"]].count("notes.json") == 0
    assert api.client.delete(f"{API}/case_flow/draft", headers=api.owner).status_code == 204
    bad_name = api.client.put(
        f"{API}/case_flow/draft/files/..%2Fx.bpmn", json={"content": "x", "revision": 0}, headers=api.owner
    )
    assert bad_name.status_code in (404, 422)


def test_failing_scenarios_and_the_supervisors_override(api: Api, svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    failing = {"scenarios": [{"name": "wrong", "start": {"data": {}}, "steps": [], "expect": {"completed": True}}]}
    url = f"{API}/case_flow/draft/files/case_flow.scenarios.json"
    api.client.put(url, json={"content": json.dumps(failing), "revision": 0}, headers=api.owner)
    check = api.client.post(f"{API}/case_flow/draft/check", headers=api.supervisor).json()
    assert check["ok"] is True and check["deployable"] is False
    assert check["scenarios"][0]["passed"] is False and check["scenarios"][0]["failures"]
    blocked = api.client.post(f"{API}/case_flow/draft/deploy", json={"note": "tests", "revision": 1}, headers=api.owner)
    assert blocked.status_code == 422 and blocked.json()["detail"]["report"]["scenarios"][0]["passed"] is False

    owner_override = {"reason": "the expectation is plainly wrong", "revision": 1}
    assert api.client.post(f"{API}/case_flow/draft/override", json=owner_override, headers=api.owner).status_code == 403
    approved = api.client.post(f"{API}/case_flow/draft/override", json=owner_override, headers=api.supervisor)
    assert approved.status_code == 201 and approved.json()["approved_by"] == "sue"
    deployed = api.client.post(
        f"{API}/case_flow/draft/deploy", json={"note": "tests", "revision": 1}, headers=api.owner
    )
    assert deployed.status_code == 201 and deployed.json()["overridden_by"] == "sue"


def _zip(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted((DATA / folder).iterdir()):
            zf.write(path, f"{folder}/{path.name}")
    return buffer.getvalue()


def test_import_over_the_api_never_answers_500(api: Api) -> None:
    checked = api.client.post(
        f"{API}/import?dry_run=true",
        files=[("files", ("model.zip", _zip("spiffarena_model"), "application/zip"))],
        headers=api.owner,
    )
    assert checked.status_code == 200 and checked.json()["display_name"] == "Follow-up call"
    done = api.client.post(
        f"{API}/import",
        files=[("files", ("model.zip", _zip("spiffarena_model"), "application/zip"))],
        headers=api.owner,
    )
    assert done.status_code == 201 and done.json()["versions"][0]["version"] == 1

    not_xml = api.client.post(f"{API}/import", files=_upload({"x.bpmn": b"\x00\x01 binary"}), headers=api.owner)
    assert not_xml.status_code == 422 and not_xml.json()["detail"]["report"]["errors"][0]["rule"] == "xml-malformed"
    huge = api.client.post(
        f"{API}/import", files=_upload({"huge.bpmn": b"<a>" + b" " * (20 * 1024 * 1024) + b"</a>"}), headers=api.owner
    )
    assert huge.status_code == 422
    (issue,) = huge.json()["detail"]["report"]["errors"]
    assert issue["rule"] == "file-too-large" and "limit is 5 MB" in issue["message"]
    plain = api.client.post(
        f"{API}?dry_run=true", files=_upload({"huge.bpmn": b"<a>" + b" " * (20 * 1024 * 1024)}), headers=api.owner
    )
    assert plain.status_code == 422 and plain.json()["detail"]["report"]["errors"][0]["rule"] == "file-too-large"
