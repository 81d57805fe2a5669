"""The engine on the real test processes, with a JSON save/restore round trip at every step."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from support import FakeClock, files_of

from engine import (
    FormKeysRejected,
    Instance,
    LaneNotAllowed,
    MessageNotExpected,
    TaskNotFound,
    TaskNotReady,
    WorkflowEngine,
)
from processes.lanes import known_lanes
from processes.script_helpers import SCRIPT_HELPERS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def engine(clock: FakeClock) -> WorkflowEngine:
    return WorkflowEngine(helpers=SCRIPT_HELPERS, clock=clock)


def compiled(engine: WorkflowEngine, name: str):  # type: ignore[no-untyped-def]
    dep = engine.compile(files_of(name), known_lanes())
    assert dep.report.ok, dep.report.as_dict()
    return dep.processes[0]


def round_trip(engine: WorkflowEngine, key: str, spec_json: str, inst: Instance) -> Instance:
    """Save, restore, save again: the two serializations must be identical."""
    first = inst.snapshot().state_json
    restored = engine.restore(key, spec_json, first)
    second = restored.snapshot().state_json
    assert json.loads(first) == json.loads(second)
    return restored


def ready(inst: Instance) -> dict[str, str]:
    return {t.bpmn_id: t.id for t in inst.snapshot().ready_tasks}


def test_case_flow_start_complete_timer_message_end(engine: WorkflowEngine, clock: FakeClock) -> None:
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {"received_on": "2026-03-01"})
    snap = inst.snapshot()
    assert [t.bpmn_id for t in snap.ready_tasks] == ["register"]
    assert snap.ready_tasks[0].lane == "Intake"
    assert snap.ready_tasks[0].instructions == "Register the referral received on {{ received_on }}."
    assert "spec" not in json.loads(snap.state_json)  # the spec lives on the version, not the instance

    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    inst.complete_task(ready(inst)["register"], {"client_name": "A", "received_on": "2026-03-01", "urgent": False})
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    snap = inst.snapshot()
    assert snap.data["assessment_due"] == "2026-03-31"
    assert snap.next_timer_at == T0 + timedelta(days=30)  # the boundary timer, computed on the fake clock

    inst.complete_task(ready(inst)["assess"], {"risk_level": 3})
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    snap = inst.snapshot()
    # the event-based gateway waits for a message or 14 days; its timer is visible to the scan
    assert snap.next_timer_at == T0 + timedelta(days=14)
    assert [s.name for s in snap.subscriptions] == ["police_report_filed"]

    inst.fire_timers(T0 + timedelta(days=13))  # not yet due: nothing changes
    assert not inst.completed
    inst.deliver_message("police_report_filed", {"ref": "PR-1"})
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    snap = inst.snapshot()
    assert snap.completed
    assert snap.data["police_report"] == {"ref": "PR-1"}
    assert "end_reported" not in snap.active_element_ids


def test_boundary_timer_interrupts_the_assessment(engine: WorkflowEngine, clock: FakeClock) -> None:
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {})
    inst.complete_task(
        ready(inst)["register"],
        {"client_name": "A", "received_on": "2026-03-01"},
    )
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    inst.fire_timers(T0 + timedelta(days=31))
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    assert list(ready(inst)) == ["escalate"]
    assert inst.snapshot().ready_tasks[0].lane == "Supervisor"


def test_timer_on_event_gateway_fires(engine: WorkflowEngine, clock: FakeClock) -> None:
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {})
    inst.complete_task(ready(inst)["register"], {"client_name": "A", "received_on": "2026-03-01"})
    inst.complete_task(ready(inst)["assess"], {"risk_level": 1})
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    inst.fire_timers(T0 + timedelta(days=15))
    assert inst.completed
    assert inst.snapshot().next_timer_at is None


def test_completion_guards(engine: WorkflowEngine) -> None:
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {})
    register = ready(inst)["register"]
    with pytest.raises(TaskNotFound):
        inst.complete_task("not-a-uuid", {})
    with pytest.raises(TaskNotFound):
        inst.complete_task("00000000-0000-4000-8000-000000000000", {})
    with pytest.raises(LaneNotAllowed):
        inst.complete_task(register, {}, lane_allowed=lambda lane: lane == "Caseworker")
    with pytest.raises(FormKeysRejected) as err:
        inst.complete_task(register, {"client_name": "A", "lane_owners": {"x": 1}}, allowed_keys={"client_name"})
    assert err.value.keys == ["lane_owners"]
    # a FUTURE task must not run (SpiffWorkflow's Task.run() would happily complete it)
    future = next(t for t in inst._wf.get_tasks() if t.task_spec.bpmn_id == "assess")
    with pytest.raises(TaskNotReady):
        inst.complete_task(str(future.id), {"risk_level": 1})
    inst.complete_task(register, {"client_name": "A", "received_on": "2026-03-01"})
    with pytest.raises(TaskNotReady):  # completing twice
        inst.complete_task(register, {"client_name": "B"})


def test_message_nobody_waits_for(engine: WorkflowEngine) -> None:
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {})
    with pytest.raises(MessageNotExpected):
        inst.deliver_message("police_report_filed", {})


def test_service_task_parks_for_the_outbox(engine: WorkflowEngine) -> None:
    proc = compiled(engine, "return_call")
    inst = engine.start(proc.sha256, proc.spec_json, {"case_reference": "AUT-1", "destination": "EE"})
    snap = inst.snapshot()
    assert snap.ready_tasks == ()
    (call,) = snap.service_calls
    assert (call.operation, call.params, call.result_variable) == (
        "return_partner_request",
        {"case_reference": "AUT-1", "destination": "EE"},
        "partner_reply",
    )
    inst = round_trip(engine, proc.sha256, proc.spec_json, inst)
    inst.complete_service_call(call.task_id, {"partner_ref": "IOM-7"})
    snap = inst.snapshot()
    assert [t.bpmn_id for t in snap.ready_tasks] == ["confirm"]
    assert snap.data["partner_reply"] == {"partner_ref": "IOM-7"}
    with pytest.raises(TaskNotReady):
        inst.complete_service_call(call.task_id, {})


def test_spec_is_restored_once_per_version_and_thread(engine: WorkflowEngine) -> None:
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {})
    state = inst.snapshot().state_json
    a = engine.restore(proc.sha256, proc.spec_json, state)
    b = engine.restore(proc.sha256, proc.spec_json, state)
    assert a._wf.spec is b._wf.spec  # reused, not parsed again
    assert len(state) < 15_000


def test_stored_state_of_older_serializer_version_is_migrated(engine: WorkflowEngine) -> None:
    """A state written in the full classic format (spec embedded) still loads."""
    proc = compiled(engine, "case_flow")
    inst = engine.start(proc.sha256, proc.spec_json, {})
    full = engine.serializer.full_dumps(inst._wf)
    doc = json.loads(full)
    doc["serializer_version"] = "1.4"
    restored = engine.restore(proc.sha256, proc.spec_json, json.dumps(doc))
    assert [t.bpmn_id for t in restored.snapshot().ready_tasks] == ["register"]
