"""Scenario tests for processes: run a model on the real engine, in memory, on its own clock,
before it is deployed.

A scenario file `<process_id>.scenarios.json` travels with the process files and is stored with
the version. Its format:

    {"scenarios": [{
        "name": "admitted",
        "process": "decision",                      # optional: the file's process by default
        "start": {"data": {...}, "at": "2026-03-02T09:00:00+00:00"},
        "steps": [
            {"complete": "draft_decision", "data": {...}},   # a READY human task, by element id
            {"advance": "P30D"},                              # move the clock, fire due timers
            {"message": "consent_withdrawn", "payload": {...}},
            {"service": "send_request", "result": {...}}      # answer a parked service task
        ],
        "expect": {"path": ["draft_decision", "approve"],   # these elements completed, in this order
                   "completed": true, "waiting": ["appeal_window"], "data": {"decision": {"outcome": "admitted"}}}
    }]}

Form data in `complete` steps is validated against the task's form, as a caseworker's would be.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from engine import CompiledProcess, EngineError, Instance, WorkflowEngine
from forms import validate_form

SCENARIO_SUFFIX = ".scenarios.json"
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MAX_STEPS = 500


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    process_id: str
    passed: bool
    path: list[str]
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "process": self.process_id,
            "passed": self.passed,
            "path": self.path,
            "failures": self.failures,
        }


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def parse_duration(text: str) -> timedelta:
    """ISO 8601 days/hours/minutes (P30D, PT12H, P1DT2H); months as 30 days, years as 365."""
    import re

    m = re.fullmatch(
        r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text.strip()
    )
    if not m or text.strip() in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    y, mo, w, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return timedelta(days=365 * y + 30 * mo + 7 * w + d, hours=h, minutes=mi, seconds=s)


def load_scenarios(content: bytes | str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(content)
    except RecursionError as exc:
        raise ValueError("the scenario file nests too deeply") from exc
    scenarios = doc.get("scenarios") if isinstance(doc, dict) else None
    if not isinstance(scenarios, list):
        raise ValueError('a scenario file is {"scenarios": [...]}')
    return [s for s in scenarios if isinstance(s, dict)]


def run_scenario(engine: WorkflowEngine, process: CompiledProcess, scenario: dict[str, Any]) -> ScenarioResult:
    name = str(scenario.get("name") or "unnamed")
    start = scenario.get("start") or {}
    clock = _Clock(datetime.fromisoformat(start["at"]) if start.get("at") else DEFAULT_START)
    failures: list[str] = []
    try:
        inst = engine.start(process.sha256, process.spec_json, dict(start.get("data") or {}), clock=clock)
        for n, step in enumerate((scenario.get("steps") or [])[:MAX_STEPS], start=1):
            problem = _step(inst, process, step, clock)
            if problem:
                failures.append(f"step {n}: {problem}")
                break
    except (EngineError, ValueError, KeyError, TypeError) as exc:
        return ScenarioResult(name, process.process_id, False, [], [f"{exc.__class__.__name__}: {exc}"])
    path = inst.path()
    if not failures:
        failures = _expectations(inst, path, scenario.get("expect") or {})
    return ScenarioResult(name, process.process_id, not failures, path, failures)


def _step(inst: Instance, process: CompiledProcess, step: dict[str, Any], clock: _Clock) -> str | None:
    if "complete" in step:
        element = step["complete"]
        ready = [t for t in inst.snapshot().ready_tasks if t.bpmn_id == element]
        if not ready:
            waiting = [t.bpmn_id for t in inst.snapshot().ready_tasks]
            return f"{element} is not waiting for a person (waiting: {', '.join(waiting) or 'nothing'})"
        task, data = ready[0], dict(step.get("data") or {})
        schema = process.forms.get(task.form_schema or "")
        if isinstance(schema, dict):
            errors = validate_form(schema, data)
            if errors:
                return f"the form of {element} refused the data: {errors}"
        inst.complete_task(task.id, data)
    elif "advance" in step:
        clock.now += parse_duration(str(step["advance"]))
        inst.fire_timers(clock.now)
    elif "message" in step:
        inst.deliver_message(str(step["message"]), step.get("payload"))
    elif "service" in step:
        calls = [c for c in inst.snapshot().service_calls if c.bpmn_id == step["service"]]
        if not calls:
            return f"{step['service']} is not waiting for a service call"
        inst.complete_service_call(calls[0].task_id, step.get("result"))
    else:
        return f"unknown step {sorted(step)}"
    return None


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    return bool(expected == actual)


def _expectations(inst: Instance, path: list[str], expect: dict[str, Any]) -> list[str]:
    failures: list[str] = []
    snap = inst.snapshot()
    wanted = list(expect.get("path") or [])
    it = iter(path)
    if not all(element in it for element in wanted):  # a subsequence, in order
        failures.append(f"expected the path to pass {wanted} in order; it took {path}")
    if "completed" in expect and bool(expect["completed"]) != snap.completed:
        failures.append(f"expected completed={expect['completed']}, but it is {'' if snap.completed else 'not '}done")
    for element in expect.get("waiting") or []:
        if element not in snap.active_element_ids:
            failures.append(f"expected to wait at {element}; active: {list(snap.active_element_ids)}")
    if "data" in expect and not _subset(expect["data"], snap.data):
        failures.append(f"expected data {expect['data']}; got {snap.data}")
    return failures


def run_all(
    engine: WorkflowEngine, processes: tuple[CompiledProcess, ...], scenario_files: dict[str, bytes]
) -> list[ScenarioResult]:
    """Run every scenario file against the process it names (`<process_id>.scenarios.json`)."""
    by_id = {p.process_id: p for p in processes}
    results: list[ScenarioResult] = []
    for file_name, content in sorted(scenario_files.items()):
        default_pid = file_name[: -len(SCENARIO_SUFFIX)]
        try:
            scenarios = load_scenarios(content)
        except ValueError as exc:
            results.append(ScenarioResult(file_name, default_pid, False, [], [f"unreadable: {exc}"]))
            continue
        for scenario in scenarios:
            pid = str(scenario.get("process") or default_pid)
            if pid not in by_id:
                results.append(ScenarioResult(str(scenario.get("name")), pid, False, [], [f"no process {pid}"]))
                continue
            results.append(run_scenario(engine, by_id[pid], scenario))
    return results
