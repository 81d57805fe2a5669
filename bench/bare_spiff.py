"""The limit we measure ourselves against: bare SpiffWorkflow, in memory, no database, no checks.

Same workload as the services benchmark: parse once, then per instance construct + run to the first
user task, and per task set_data + run + do_engine_steps. SpiffWorkflow's own unrestricted script
environment is used on purpose: it is what "bare" SpiffWorkflow does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from bench.stats import Samples
from processes.script_helpers import SCRIPT_HELPERS


def parse(folder: Path, process_id: str) -> tuple[Any, Any]:
    parser = SpiffBpmnParser()
    for f in sorted(folder.glob("*.bpmn")):
        parser.add_bpmn_str(f.read_bytes(), f.name)
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def run_persisted(folder: Path, process_id: str, answers: list[dict[str, Any]], instances: int) -> Samples:
    """The naive persisted step, in memory: deserialize the JSON (spec embedded, SpiffWorkflow's
    default), complete the task, serialize again. What a completion costs SpiffWorkflow itself
    when state is kept between requests, before any database work."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    spec, subs = parse(folder, process_id)
    engine = PythonScriptEngine(environment=TaskDataEnvironment(dict(SCRIPT_HELPERS)))
    samples = Samples("bare persisted completion (deserialize+complete+serialize)")
    for _ in range(instances):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.do_engine_steps()
        state = serializer.serialize_json(wf)
        for data in answers:

            def step(data: dict[str, Any] = data, state: str = state) -> str:
                restored = serializer.deserialize_json(state)
                restored.script_engine = engine
                task = restored.get_next_task(state=TaskState.READY, manual=True)
                task.set_data(**data)
                task.run()
                restored.do_engine_steps()
                return str(serializer.serialize_json(restored))

            state = samples.time(step)
    return samples


def run(folder: Path, process_id: str, answers: list[dict[str, Any]], instances: int) -> dict[str, Samples]:
    spec, subs = parse(folder, process_id)
    # SpiffWorkflow's own (unrestricted) environment, given the same helper functions our models call
    engine = PythonScriptEngine(environment=TaskDataEnvironment(dict(SCRIPT_HELPERS)))
    start, complete = Samples("bare start->first task"), Samples("bare task completion")
    for _ in range(instances):

        def begin() -> Any:
            wf = BpmnWorkflow(spec, subs, script_engine=engine)
            wf.do_engine_steps()
            return wf

        wf = start.time(begin)
        for data in answers:
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            if task is None:
                break

            def step(task: Any = task, data: dict[str, Any] = data, wf: Any = wf) -> None:
                task.set_data(**data)
                task.run()
                wf.do_engine_steps()

            complete.time(step)
    return {"start": start, "complete": complete}
