"""Working drafts: open, save with revisions, check (engine + bpmnlint + scenarios), deploy, discard."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from support import CASEWORKER, INTAKE, OWNER, SUPERVISOR, files_of

from services.context import Actor, Services
from services.deploy import deploy
from services.errors import Conflict, DeploymentRejected, Forbidden, InvalidInput, NotFound
from services.instances import get_instance, start_instance
from services.process_editor import (
    delete_file,
    deploy_draft,
    discard_draft,
    list_drafts,
    new_process,
    open_draft,
    save_file,
    start_from_version,
)
from services.process_editor_checks import approve_draft_override, check_draft
from services.uow import UnitOfWork
from store.models import AuditEvent, ProcessDraft

RENAMED = ('name="Assess the situation"', 'name="Assess the client\'s situation"')


def _deployed(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"), change_note="first")


def _bpmn(svc: Services) -> str:
    draft = open_draft(svc, OWNER, "case_flow")
    found = draft.file("case_flow.bpmn")
    assert found is not None
    return found.content


def test_the_draft_starts_as_the_latest_version_and_is_stored_on_the_first_save(svc: Services) -> None:
    _deployed(svc)
    draft = open_draft(svc, OWNER, "case_flow")
    assert (draft.saved, draft.revision, draft.base_version) == (False, 0, 1)
    assert {f.kind for f in draft.files} >= {"bpmn", "schema", "uischema"}
    assert draft.main_bpmn == "case_flow.bpmn"

    saved = save_file(svc, OWNER, "case_flow", "case_flow.bpmn", _bpmn(svc).replace(*RENAMED), revision=0)
    assert (saved.saved, saved.revision, saved.updated_by) == (True, 1, "owner")
    assert [d.process_id for d in list_drafts(svc, SUPERVISOR)] == ["case_flow"]

    with pytest.raises(Conflict, match="saved by owner meanwhile"):
        save_file(svc, OWNER, "case_flow", "case_flow.bpmn", "<x/>", revision=0)  # a stale editor
    again = save_file(svc, OWNER, "case_flow", "notes-schema.json", '{"type": "object"}', revision=1)
    assert again.revision == 2 and again.file("notes-schema.json") is not None
    assert delete_file(svc, OWNER, "case_flow", "notes-schema.json", revision=2).file("notes-schema.json") is None


def test_file_names_and_sizes_are_checked(svc: Services) -> None:
    _deployed(svc)
    for bad in ("../evil.bpmn", "a/b.bpmn", "x.exe", ".hidden.json", ""):
        with pytest.raises(InvalidInput):
            save_file(svc, OWNER, "case_flow", bad, "{}", revision=0)
    with pytest.raises(InvalidInput):
        save_file(svc, OWNER, "case_flow", "big.json", "x" * (5 * 1024 * 1024 + 1), revision=0)
    with pytest.raises(NotFound):
        open_draft(svc, OWNER, "no_such_process")


def test_deploying_the_draft_makes_a_version_and_leaves_running_instances_on_theirs(svc: Services) -> None:
    _deployed(svc)
    running = start_instance(svc, OWNER, "case_flow", {})
    draft = save_file(svc, OWNER, "case_flow", "case_flow.bpmn", _bpmn(svc).replace(*RENAMED), revision=0)

    with pytest.raises(InvalidInput):
        deploy_draft(svc, OWNER, "case_flow", note="", revision=draft.revision)
    with pytest.raises(Conflict):
        deploy_draft(svc, OWNER, "case_flow", note="rename", revision=draft.revision - 1)
    result = deploy_draft(svc, OWNER, "case_flow", note="clearer task name", revision=draft.revision)

    assert [(v.version, v.created) for v in result.versions] == [(2, True)]
    assert get_instance(svc, OWNER, running.id).version == 1  # the running case stays where it started
    assert start_instance(svc, OWNER, "case_flow", {}).version == 2  # new cases start on the new version
    assert open_draft(svc, OWNER, "case_flow").saved is False  # the draft became the version
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(ProcessDraft.id)) is None


def test_check_reports_engine_errors_and_bpmnlint_advice_by_element(svc: Services) -> None:
    _deployed(svc)
    xml = _bpmn(svc).replace('name="Supervisor"', 'name="Janitor"')
    save_file(svc, OWNER, "case_flow", "case_flow.bpmn", xml, revision=0)
    check = check_draft(svc, SUPERVISOR, "case_flow")
    assert not check.ok and not check.deployable
    assert [(e["rule"], e["element_id"]) for e in check.errors] == [("lane-unknown", "escalate")]
    rules = {w["rule"] for w in check.warnings}
    assert "bpmnlint/label-required" in rules  # case_flow's start event has no name
    assert all(w["severity"] == "warning" for w in check.warnings)
    with pytest.raises(DeploymentRejected) as refused:
        deploy_draft(svc, OWNER, "case_flow", note="janitor", revision=1)
    assert refused.value.report["errors"][0]["rule"] == "lane-unknown"


FAILING = {
    "scenarios": [
        {
            "name": "registers and waits",
            "start": {"data": {}},
            "steps": [{"complete": "register", "data": {"client_name": "A", "received_on": "2026-03-01"}}],
            "expect": {"path": ["register"], "completed": True},  # wrong: the case then waits at assess
        }
    ]
}


def test_a_failing_scenario_blocks_the_deploy_until_a_supervisor_approves_these_files(svc: Services) -> None:
    _deployed(svc)
    draft = save_file(svc, OWNER, "case_flow", "case_flow.scenarios.json", json.dumps(FAILING), revision=0)
    check = check_draft(svc, OWNER, "case_flow")
    assert check.ok and not check.deployable
    (result,) = check.scenarios
    assert result["passed"] is False and "register" in result["path"]
    with pytest.raises(DeploymentRejected, match="scenario"):
        deploy_draft(svc, OWNER, "case_flow", note="with tests", revision=draft.revision)

    with pytest.raises(Forbidden):
        approve_draft_override(svc, OWNER, "case_flow", revision=draft.revision, reason="the expectation is wrong")
    approve_draft_override(svc, SUPERVISOR, "case_flow", revision=draft.revision, reason="the expectation is wrong")
    approved = check_draft(svc, OWNER, "case_flow")
    assert approved.override is not None and approved.override.approved_by == "sue" and approved.deployable
    deployed = deploy_draft(svc, OWNER, "case_flow", note="with tests", revision=draft.revision)
    assert deployed.overridden_by == "sue"
    with UnitOfWork(svc.sessions) as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
    assert "scenario_override_approved" in actions and "scenario_override_used" in actions


def test_start_from_an_older_version_discard_and_new_process(svc: Services) -> None:
    _deployed(svc)
    deploy(
        svc,
        OWNER,
        [
            f if f.name != "case_flow.bpmn" else type(f)(f.name, f.content.replace(b"Assess", b"Judge"))
            for f in files_of("case_flow")
        ],
    )
    draft = start_from_version(svc, OWNER, "case_flow", 1)
    assert draft.base_version == 1 and "Assess the situation" in _bpmn(svc)
    discard_draft(svc, OWNER, "case_flow")
    assert open_draft(svc, OWNER, "case_flow").base_version == 2
    with pytest.raises(NotFound):
        start_from_version(svc, OWNER, "case_flow", 9)

    created = new_process(svc, OWNER, "follow_up", "Follow-up")
    assert created.files[0].name == "follow_up.bpmn"
    with pytest.raises(Conflict):
        new_process(svc, OWNER, "follow_up", "again")  # it has a draft already
    with pytest.raises(InvalidInput):
        new_process(svc, OWNER, "Follow Up", "not snake_case")
    check = check_draft(svc, OWNER, "follow_up")
    assert check.ok, check.errors  # a blank process with lanes and a diagram is valid
    result = deploy_draft(svc, OWNER, "follow_up", note="a new process", revision=created.revision)
    assert [(v.process_id, v.version) for v in result.versions] == [("follow_up", 1)]


@pytest.mark.parametrize("actor", [SUPERVISOR, INTAKE, CASEWORKER, Actor("adm", frozenset({"admin"}))])
def test_only_process_owners_change_drafts(svc: Services, actor: Actor) -> None:
    _deployed(svc)
    with pytest.raises(Forbidden):
        save_file(svc, actor, "case_flow", "case_flow.bpmn", "<x/>", revision=0)
    with pytest.raises(Forbidden):
        deploy_draft(svc, actor, "case_flow", note="no", revision=0)
    with pytest.raises(Forbidden):
        discard_draft(svc, actor, "case_flow")
    if not actor.has("supervisor"):
        with pytest.raises(Forbidden):
            open_draft(svc, actor, "case_flow")


def test_a_json_file_nested_too_deeply_is_an_error_not_a_crash(svc: Services) -> None:
    _deployed(svc)
    draft = save_file(svc, OWNER, "case_flow", "deep-schema.json", "[" * 100_000, revision=0)
    check = check_draft(svc, OWNER, "case_flow")
    assert [e["rule"] for e in check.errors] == ["json-too-deep"]
    with pytest.raises(DeploymentRejected):
        deploy_draft(svc, OWNER, "case_flow", note="deep", revision=draft.revision)
