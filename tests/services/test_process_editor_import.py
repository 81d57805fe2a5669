"""SpiffArena process-model folders: imported as files or a .zip, with safe unpacking; models from
other tools and malformed files get a report naming the file, element and rule, never an exception."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import DATA, OWNER, ROOT, SUPERVISOR

from services.context import Services
from services.errors import DeploymentRejected, Forbidden, NotFound
from services.process_editor import open_draft
from services.process_editor_import import import_as_draft
from services.spiffarena_import import MAX_ENTRIES, import_model, read_upload
from services.version_history import list_versions

MODEL = DATA / "spiffarena_model"
PID = "Process_follow_up_call_7qk2m1"


def folder() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(MODEL.iterdir())]


def zipped(entries: list[tuple[str, bytes]], *, prefix: str = "follow-up-call/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            zf.writestr(prefix + name, content)
    return buffer.getvalue()


def rejected(svc: Services, uploads: list[tuple[str, bytes]]) -> dict[str, object]:
    with pytest.raises(DeploymentRejected) as refused:
        import_model(svc, OWNER, uploads)
    report: dict[str, object] = refused.value.report
    assert report["ok"] is False
    return report


def rules(report: dict[str, object], kind: str = "errors") -> list[tuple[object, object]]:
    return [(i["rule"], i["element_id"]) for i in report[kind]]  # type: ignore[attr-defined]


def test_a_spiffarena_folder_deploys_with_its_forms_and_name(svc: Services) -> None:
    outcome = import_model(svc, OWNER, folder())
    assert outcome.display_name == "Follow-up call"
    assert [(v.process_id, v.version) for v in outcome.result.versions] == [(PID, 1)]
    assert ("lane-missing", "Activity_record_call") in rules(outcome.report, "warnings")  # goes to the starter
    (version,) = list_versions(svc, OWNER, PID)
    assert version.imported and version.change_note == "Imported from SpiffArena: Follow-up call"
    assert set(version.files) == {"follow_up_call.bpmn", "record-call-schema.json", "record-call-uischema.json"}


def test_the_same_folder_as_a_zip_and_as_a_dry_run(svc: Services) -> None:
    checked = import_model(svc, OWNER, [("follow-up-call.zip", zipped(folder()))], dry_run=True)
    assert checked.report["ok"] and checked.result.versions == ()
    deployed = import_model(svc, OWNER, [("follow-up-call.zip", zipped(folder()))])
    assert deployed.result.versions[0].version == 1


CONNECTORS = b"""
    <bpmn:serviceTask id="Activity_fetch_weather" name="Fetch">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="http/GetRequestV2" resultVariable="weather">
          <spiffworkflow:parameters><spiffworkflow:parameter id="url" type="str" value="'https://x'"/></spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:scriptTask id="Activity_who" name="Who">
      <bpmn:script>me = get_current_user()
when = get_localtime(now)</bpmn:script>
    </bpmn:scriptTask>
"""


def test_spiffarena_connectors_and_script_functions_are_named_not_run(svc: Services) -> None:
    files = [
        (n, c.replace(b"<bpmn:endEvent", CONNECTORS + b"<bpmn:endEvent", 1) if n.endswith(".bpmn") else c)
        for n, c in folder()
    ]
    report = rejected(svc, files)
    found = [(r, e) for r, e in rules(report) if r == "connector-unsupported"]
    assert found == [
        ("connector-unsupported", "Activity_fetch_weather"),
        ("connector-unsupported", "Activity_who"),
        ("connector-unsupported", "Activity_who"),
    ]
    messages = " ".join(str(i["message"]) for i in report["errors"])  # type: ignore[attr-defined]
    assert "http/GetRequestV2" in messages and "get_current_user()" in messages and "get_localtime()" in messages
    with pytest.raises(NotFound):  # nothing was stored
        list_versions(svc, OWNER, PID)


def test_non_xml_and_non_json_files_get_a_report(svc: Services) -> None:
    report = rejected(svc, [("follow_up_call.bpmn", b"%PDF-1.7 not xml at all"), ("a-schema.json", b"{nope")])
    assert ("xml-malformed", None) in rules(report) and ("json-malformed", None) in rules(report)
    assert all(i["file"] for i in report["errors"])  # type: ignore[attr-defined]


CAMUNDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn"
  exporter="Camunda Modeler" exporterVersion="5.20.0">
  <bpmn:process id="loan_check" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="review" name="Review" camunda:formKey="embedded:app:forms/review.html"/>
    <bpmn:complexGateway id="merge_all" name="Merge"/>
    <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition id="link" name="L"/></bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="merge_all"/>
    <bpmn:sequenceFlow id="f3" sourceRef="merge_all" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_bpmn_from_other_tools_names_the_elements_we_do_not_execute(svc: Services) -> None:
    report = rejected(svc, [("loan_check.bpmn", CAMUNDA)])
    found = rules(report)
    assert ("element-unsupported", "merge_all") in found
    assert ("element-unsupported", "link") in found or ("element-unsupported", "jump") in found
    assert ("form-missing", "review") in found  # a Camunda form key is no form here


def test_a_20_mb_file_is_refused_by_the_size_limit(svc: Services) -> None:
    huge = b"<bpmn:definitions>" + b" " * (20 * 1024 * 1024) + b"</bpmn:definitions>"
    report = rejected(svc, [("huge.bpmn", huge), *folder()])
    (issue,) = [i for i in report["errors"] if i["rule"] == "file-too-large"]  # type: ignore[attr-defined]
    assert issue["file"] == "huge.bpmn" and "20.0 MB" in issue["message"] and "limit is 5 MB" in issue["message"]
    report = rejected(svc, [("huge.zip", huge)])
    assert rules(report) == [("zip-too-large", None)]


def test_zip_archives_are_read_safely() -> None:
    def issues(data: bytes) -> list[str]:
        return [i.rule for i in read_upload([("model.zip", data)]).issues]

    assert issues(b"PK\x03\x04 not really a zip") == ["zip-malformed"]
    traversal = zipped([("../../etc/cron.d/evil.bpmn", b"<x/>"), *folder()], prefix="")
    assert "zip-entry-unsafe" in issues(traversal)
    absolute = zipped([("/etc/evil.bpmn", b"<x/>")], prefix="")
    assert issues(absolute)[0] == "zip-entry-unsafe"
    many = zipped([(f"f{i}.json", b"{}") for i in range(MAX_ENTRIES + 1)])
    assert issues(many) == ["zip-too-many-entries"]
    bomb = zipped([("bomb.bpmn", b"\0" * (6 * 1024 * 1024))])  # a few KB packed, 6 MB unpacked
    assert len(bomb) < 100_000 and issues(bomb) == ["file-too-large"]
    link = io.BytesIO()
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("model/link.bpmn")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    assert issues(link.getvalue()) == ["zip-entry-unsafe"]
    macos = zipped([("__MACOSX/._follow_up_call.bpmn", b"junk"), *folder()], prefix="")
    bundle = read_upload([("m.zip", macos)])
    assert bundle.ok and {f.name for f in bundle.files} == {
        "follow_up_call.bpmn",
        "record-call-schema.json",
        "record-call-uischema.json",
    }
    assert bundle.display_name == "Follow-up call" and bundle.primary_process_id == PID


def test_import_as_a_draft_to_finish_in_the_editor(svc: Services) -> None:
    draft, _bundle = import_as_draft(svc, OWNER, folder())
    assert draft is not None and draft.process_id == PID and draft.imported
    assert open_draft(svc, SUPERVISOR, PID).file("record-call-schema.json") is not None
    nothing, bad = import_as_draft(svc, OWNER, [("x.zip", b"garbage")])
    assert nothing is None and [i.rule for i in bad.issues] == ["zip-malformed"]
    with pytest.raises(Forbidden):
        import_as_draft(svc, SUPERVISOR, folder())
    with pytest.raises(Forbidden):
        import_model(svc, SUPERVISOR, folder())


def test_auttamo_deploy_imported_reads_the_folder(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTTAMO_")}
    env.update(DATABASE_URL=database_url, AUTTAMO_ENV="test")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
        )

    assert run("migrate").returncode == 0
    done = run("deploy", str(MODEL), "--imported", "--note", "from SpiffArena")
    assert done.returncode == 0, done.stderr
    assert f"{PID} version 1 deployed" in done.stdout and "[lane-missing]" in done.stderr
    strict = run("deploy", str(Path(MODEL)), "--dry-run")  # without --imported a task needs a lane
    assert strict.returncode == 2 and "[lane-missing]" in strict.stderr


def test_json_nested_too_deeply_is_refused_before_parsing(svc: Services) -> None:
    report = rejected(svc, [*folder(), ("deep-schema.json", b"[" * 100_000)])
    assert ("json-too-deep", None) in rules(report)
