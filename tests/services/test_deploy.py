"""Bad BPMN tells its author what is wrong, names the element, and deploys nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import OWNER, SUPERVISOR, files_of, one_lane_process, script_process

from engine import SourceFile
from services.context import Actor, Services
from services.deploy import deploy
from services.errors import DeploymentRejected, Forbidden
from services.instances import get_instance, start_instance
from services.uow import UnitOfWork
from store.models import ProcessVersion

CASE_FLOW = {f.name: f.content for f in files_of("case_flow")}


def _with(name: str, content: bytes) -> list[SourceFile]:
    return [SourceFile(n, content if n == name else c) for n, c in CASE_FLOW.items()]


def _rejected(svc: Services, files: list[SourceFile]) -> list[dict[str, object]]:
    with pytest.raises(DeploymentRejected) as err:
        deploy(svc, OWNER, files)
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessVersion)) == 0
    errors: list[dict[str, object]] = err.value.report["errors"]
    assert errors
    return errors


def test_not_xml(svc: Services) -> None:
    (error,) = _rejected(svc, _with("case_flow.bpmn", b"this is not <xml"))
    assert error["rule"] == "xml-malformed" and error["file"] == "case_flow.bpmn"
    assert "not well-formed XML" in str(error["message"])


def test_entity_expansion_is_refused(svc: Services) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>'
    )
    (error,) = _rejected(svc, _with("case_flow.bpmn", bomb))
    assert error["rule"] == "xml-malformed" and "DOCTYPE" in str(error["message"])


def test_missing_lane(svc: Services) -> None:
    xml = CASE_FLOW["case_flow.bpmn"].replace(b"<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>", b"")
    errors = _rejected(svc, _with("case_flow.bpmn", xml))
    assert [(e["rule"], e["element_id"]) for e in errors] == [("lane-missing", "assess")]


def test_unknown_lane(svc: Services) -> None:
    xml = CASE_FLOW["case_flow.bpmn"].replace(b'name="Supervisor"', b'name="Janitor"')
    errors = _rejected(svc, _with("case_flow.bpmn", xml))
    assert [(e["rule"], e["element_id"]) for e in errors] == [("lane-unknown", "escalate")]
    assert "Janitor" in str(errors[0]["message"])


def test_unquoted_timer(svc: Services) -> None:
    xml = CASE_FLOW["case_flow.bpmn"].replace(b'"P30D"', b"P30D")
    errors = _rejected(svc, _with("case_flow.bpmn", xml))
    assert [(e["rule"], e["element_id"]) for e in errors] == [("timer-unquoted", "assess_overdue")]
    assert '"P30D"' in str(errors[0]["message"])


def test_missing_form(svc: Services) -> None:
    files = [SourceFile(n, c) for n, c in CASE_FLOW.items() if n != "assess-schema.json"]
    errors = _rejected(svc, files)
    assert [(e["rule"], e["element_id"]) for e in errors] == [("form-file-missing", "assess")]
    assert "assess-schema.json" in str(errors[0]["message"])


def test_missing_called_process(svc: Services) -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:callActivity id="call_it" calledElement="nowhere"/>'
        '<bpmn:endEvent id="end"/>'
    )
    xml = one_lane_process(
        "caller", body, [("start", "call_it"), ("call_it", "end")], nodes=["start", "call_it", "end"]
    )
    errors = _rejected(svc, [SourceFile("caller.bpmn", xml)])
    assert ("call-unresolved", "call_it") in [(e["rule"], e["element_id"]) for e in errors]
    assert "nowhere" in str(errors[0]["message"])


def test_wrong_namespace_and_unknown_file_type(svc: Services) -> None:
    errors = _rejected(
        svc, [SourceFile("x.bpmn", b"<definitions xmlns='urn:not-bpmn'/>"), SourceFile("notes.txt", b"hello")]
    )
    rules = {e["rule"] for e in errors}
    assert "file-type-unknown" in rules


def test_oversized_file(svc: Services) -> None:
    big = b"<x>" + b" " * (6 * 1024 * 1024) + b"</x>"
    (error,) = _rejected(svc, [SourceFile("big.bpmn", big)])
    assert error["rule"] == "file-too-large" and "limit" in str(error["message"])


def test_dry_run_stores_nothing(svc: Services) -> None:
    result = deploy(svc, OWNER, files_of("case_flow"), dry_run=True)
    assert result.report.ok and result.versions == ()
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_only_process_owners_deploy(svc: Services) -> None:
    with pytest.raises(Forbidden):
        deploy(svc, Actor("carl", frozenset({"caseworker"})), files_of("case_flow"))


def test_script_error_at_start_becomes_an_incident(svc: Services) -> None:
    deploy(svc, OWNER, script_process("broken", "x = 1 / 0"))
    info = start_instance(svc, OWNER, "broken", {})
    assert info.status == "error"
    (incident,) = get_instance(svc, SUPERVISOR, info.id).incidents
    assert incident["kind"] == "script_error" and incident["element_id"] == "script"
    assert "ZeroDivisionError" in incident["message"]


def test_deeply_nested_json_is_a_report_not_a_crash(svc: Services) -> None:
    (error,) = _rejected(svc, [*files_of("case_flow"), SourceFile("deep-schema.json", b"[" * 100_000)])
    assert error["rule"] == "json-too-deep"
