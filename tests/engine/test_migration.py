"""Moving running instances to a new version: safe moves succeed and keep business deadlines,
unsafe ones are refused with reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support import FakeClock, files_of

from engine import MigrationUnsafe, SourceFile, WorkflowEngine
from processes.lanes import known_lanes
from processes.script_helpers import SCRIPT_HELPERS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FOLLOW_UP = (
    '<bpmn:userTask id="follow_up" name="Follow up"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="formJsonSchemaFilename" value="assess-schema.json" />'
    "</spiffworkflow:properties></bpmn:extensionElements>"
    "<bpmn:incoming>f_assessed</bpmn:incoming><bpmn:outgoing>f_follow</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:sequenceFlow id="f_follow" sourceRef="follow_up" targetRef="wait_gw" />'
)


def _v1() -> list[SourceFile]:
    return files_of("case_flow")


def _edit(files: list[SourceFile], fn: object) -> list[SourceFile]:
    return [SourceFile(f.name, fn(f.content) if f.name.endswith(".bpmn") else f.content) for f in files]  # type: ignore[operator]


def _v2_with_follow_up() -> list[SourceFile]:
    def change(xml: bytes) -> bytes:
        xml = xml.replace(
            b'<bpmn:sequenceFlow id="f_assessed" sourceRef="assess" targetRef="wait_gw" />',
            b'<bpmn:sequenceFlow id="f_assessed" sourceRef="assess" targetRef="follow_up" />' + FOLLOW_UP.encode(),
        )
        xml = xml.replace(
            b"<bpmn:incoming>f_assessed</bpmn:incoming>\n      <bpmn:outgoing>f_gw_msg",
            b"<bpmn:incoming>f_follow</bpmn:incoming>\n      <bpmn:outgoing>f_gw_msg",
        )
        return xml.replace(
            b"<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>",
            b"<bpmn:flowNodeRef>assess</bpmn:flowNodeRef><bpmn:flowNodeRef>follow_up</bpmn:flowNodeRef>",
        )

    return _edit(_v1(), change)


def _v2_without_register_script() -> list[SourceFile]:
    return _edit(
        _v1(),
        lambda xml: xml.replace(
            b"assessment_due = add_days(received_on, 30)", b"assessment_due = add_days(received_on, 60)"
        ),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def engine(clock: FakeClock) -> WorkflowEngine:
    return WorkflowEngine(helpers=SCRIPT_HELPERS, clock=clock)


def _compile(engine: WorkflowEngine, files: list[SourceFile]) -> tuple[str, str]:
    dep = engine.compile(files, known_lanes())
    assert dep.report.ok, dep.report.as_dict()
    proc = dep.processes[0]
    return proc.sha256, proc.spec_json


def _at_assess(engine: WorkflowEngine, v1: tuple[str, str]):  # type: ignore[no-untyped-def]
    inst = engine.start(*v1, {})
    register = inst.snapshot().ready_tasks[0]
    inst.complete_task(register.id, {"client_name": "A", "received_on": "2026-03-01"})
    return engine.restore(*v1, inst.snapshot().state_json)


def test_version_diff_names_the_elements(engine: WorkflowEngine) -> None:
    v1, v2 = _compile(engine, _v1()), _compile(engine, _v2_with_follow_up())
    (changes,) = engine.diff_versions(v1, v2)
    assert changes.process_id == "case_flow"
    assert changes.added == ("follow_up",)
    assert "assess" in changes.changed and "outputs" in changes.changed["assess"]


def test_safe_migration_keeps_the_timer_deadline(engine: WorkflowEngine, clock: FakeClock) -> None:
    v1, v2 = _compile(engine, _v1()), _compile(engine, _v2_with_follow_up())
    inst = _at_assess(engine, v1)
    assert inst.snapshot().next_timer_at == T0 + timedelta(days=30)
    clock.advance(days=10)
    verdict = inst.migrate(*v2)
    assert verdict.safe
    snap = inst.snapshot()
    assert snap.next_timer_at == T0 + timedelta(days=30)  # not restarted at now + 30 days
    assess = snap.ready_tasks[0]
    inst.complete_task(assess.id, {"risk_level": 2})
    assert [t.bpmn_id for t in inst.snapshot().ready_tasks] == ["follow_up"]  # the new version's path


def test_overdue_deadline_stays_overdue_after_migration(engine: WorkflowEngine, clock: FakeClock) -> None:
    v1, v2 = _compile(engine, _v1()), _compile(engine, _v2_with_follow_up())
    inst = _at_assess(engine, v1)
    clock.advance(days=45)  # nobody ran the timer worker: the 30-day deadline is overdue
    inst.migrate(*v2)
    assert [t.bpmn_id for t in inst.snapshot().ready_tasks] == ["escalate"]


def test_unsafe_migration_is_refused_with_reasons(engine: WorkflowEngine) -> None:
    v1, v2 = _compile(engine, _v1()), _compile(engine, _v2_without_register_script())
    inst = _at_assess(engine, v1)  # set_deadline has run
    verdict = inst.check_migration(*v2)
    assert not verdict.safe
    assert any("set_deadline" in r and "script" in r for r in verdict.reasons), verdict.reasons
    with pytest.raises(MigrationUnsafe):
        inst.migrate(*v2)
    fresh = engine.start(*v1, {})
    assert fresh.check_migration(*v2).safe  # not yet past the changed script: safe
