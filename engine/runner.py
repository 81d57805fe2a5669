"""Run process instances: start, restore, complete tasks, deliver messages, fire timers.

`WorkflowEngine` is the factory, built once by the app or CLI; `Instance` is a handle around one
restored workflow for the length of one use case. Every public method returns or raises our own
types; the SpiffWorkflow objects stay inside.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # type: ignore[import-untyped]
from SpiffWorkflow.exceptions import (  # type: ignore[import-untyped]
    SpiffWorkflowException,
    TaskNotFoundException,
    WorkflowException,
)
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition  # type: ignore[import-untyped]

from engine import clock as engine_clock
from engine import migration
from engine.compiler import CompiledDeployment, compile_deployment
from engine.data_guard import MAX_DATA_BYTES
from engine.errors import (
    FormKeysRejected,
    LaneNotAllowed,
    MessageNotExpected,
    MigrationUnsafe,
    ScriptError,
    ScriptTimeout,
    StateUnstorable,
    TaskNotFound,
    TaskNotManual,
    TaskNotReady,
)
from engine.migration import MigrationCheck, SpecChanges
from engine.projection import build_snapshot, task_lane, task_view, waiting_events
from engine.sandbox import RestrictedScriptEnvironment
from engine.serializer import MAX_STATE_BYTES, StateSerializer
from engine.specs import PENDING_CALL_KEY, OutboxServiceTask
from engine.types import Baseline, InstanceSnapshot, SourceFile, TaskView
from engine.workflow_cache import DEFAULT_SIZE, WorkflowCache

LanePolicy = Callable[[str | None], bool]


class WorkflowEngine:
    """Everything an instance needs, assembled once: serializer, sandbox, clock."""

    def __init__(
        self,
        *,
        helpers: Mapping[str, Any] | None = None,
        script_time_limit: float = 1.0,
        clock: engine_clock.Clock = engine_clock.system_clock,
        max_state_bytes: int = MAX_STATE_BYTES,
        max_data_bytes: int = MAX_DATA_BYTES,
        workflow_cache_size: int = DEFAULT_SIZE,
    ) -> None:
        engine_clock.install()
        self.serializer = StateSerializer()
        self.script_engine = PythonScriptEngine(
            environment=RestrictedScriptEnvironment(
                helpers, time_limit=script_time_limit, max_data_bytes=min(max_data_bytes, max_state_bytes)
            )
        )
        self.clock = clock
        self.max_state_bytes = max_state_bytes
        self.workflows = WorkflowCache(workflow_cache_size)

    def compile(
        self, files: list[SourceFile], known_lanes: set[str], *, strict_lanes: bool = True
    ) -> CompiledDeployment:
        """Validate files and build one spec per executable process (nothing is stored)."""
        return compile_deployment(files, known_lanes, self.serializer, strict_lanes=strict_lanes)

    def diff_versions(self, old: tuple[str, str], new: tuple[str, str]) -> tuple[SpecChanges, ...]:
        """Element-level differences between two versions, each given as (version key, spec JSON)."""
        serializer = self.serializer
        return migration.diff_versions(serializer, serializer.cached_spec(*old), serializer.cached_spec(*new))

    def start(
        self,
        version_key: str,
        spec_json: str,
        data: Mapping[str, Any] | None = None,
        *,
        clock: engine_clock.Clock | None = None,
    ) -> Instance:
        """Create an instance and run it to its first wait state. Script errors raise ScriptError
        with the instance kept on `error.instance`, so the caller can store it with an incident.
        `clock` gives this instance its own time (scenario tests); default: the engine's clock."""
        spec, subs = self.serializer.cached_spec(version_key, spec_json)
        initial = dict(data or {})

        def fresh() -> Any:
            workflow = BpmnWorkflow(spec, subs, script_engine=self.script_engine)
            workflow.task_tree.data.update(initial)
            return workflow

        instance = Instance(self, fresh(), clock=clock, origin=fresh, version_key=version_key)
        try:
            instance._step()
        except ScriptError as exc:
            exc.instance = instance  # the failed start is still an instance worth storing
            raise
        return instance

    def restore(
        self, version_key: str, spec_json: str, state_json: str, *, cache_key: Hashable | None = None
    ) -> Instance:
        """Rebuild an instance from stored state around the version's spec. With `cache_key` (the
        instance's id), a workflow kept by `keep` after the commit that stored exactly `state_json`
        is reused instead of deserialized (engine.workflow_cache)."""
        spec = self.serializer.cached_spec(version_key, spec_json)

        def stored() -> Any:
            workflow = self.serializer.loads(state_json, spec, spec_json)
            workflow.script_engine = self.script_engine  # never serialized: reattach every time
            return workflow

        kept = self.workflows.take(cache_key, version_key, state_json) if cache_key is not None else None
        return Instance(self, kept if kept is not None else stored(), origin=stored, version_key=version_key)

    def keep(self, cache_key: Hashable, instance: Instance) -> None:
        """Keep the instance's workflow for the next `restore` of the state its last snapshot
        produced. Call only after that state is committed, and do not use `instance` afterwards."""
        if instance._saved_state is not None and instance._version_key is not None:
            self.workflows.put(cache_key, instance._version_key, instance._saved_state, instance._wf)


class Instance:
    """One workflow, restored for one use case."""

    def __init__(
        self,
        engine: WorkflowEngine,
        workflow: Any,
        *,
        clock: engine_clock.Clock | None = None,
        origin: Callable[[], Any] | None = None,
        version_key: str | None = None,
    ) -> None:
        self._engine = engine
        self._wf = workflow
        self._origin = origin  # rebuilds the workflow this handle began from (see snapshot)
        self._version_key = version_key
        self._saved_state: str | None = None  # the state text of the last snapshot (WorkflowEngine.keep)
        self._outbound: list[Any] = []
        self._clock: engine_clock.Clock = clock or engine.clock

    # --- reading -----------------------------------------------------------------------------
    @property
    def completed(self) -> bool:
        return bool(self._wf.completed)

    def baseline(self) -> Baseline:
        """What the projections hold for this instance right now (call before changing it), so
        the services layer writes only what a change actually changed."""
        ready = frozenset(str(t.id) for t in self._wf.get_tasks(state=TaskState.READY, manual=True))
        _due, subs = waiting_events(self._wf)
        return Baseline(ready_task_ids=ready, subscriptions=subs)

    def path(self) -> list[str]:
        """Element ids of the drawn elements that have completed, in the order they completed."""
        done = [t for t in self._wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id is not None]
        done.sort(key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in done]

    def task(self, task_id: str, *, with_data: bool = False) -> TaskView:
        return task_view(self._find(task_id), with_data=with_data)

    def snapshot(self) -> InstanceSnapshot:
        """Serialize and project the instance (call once, after the change)."""
        # Outbound events are handed out once: a second snapshot does not repeat them.
        outbound = (*self._outbound, *self._wf.get_events())
        self._outbound.clear()
        limit = self._engine.max_state_bytes
        self._saved_state = None
        try:
            snap = build_snapshot(self._wf, self._engine.serializer, outbound, max_state_bytes=limit)
            self._saved_state = snap.state_json
            return snap
        except StateUnstorable as exc:
            if self._origin is None:
                raise
            # Nothing of the change can be stored, so nothing of it is kept: the handle goes back to
            # the state it began from (as stored, or as started), and the reason becomes an incident.
            self._wf = self._origin()
            kept = build_snapshot(self._wf, self._engine.serializer, (), max_state_bytes=None)
            return replace(kept, unstorable=str(exc))

    # --- changing ----------------------------------------------------------------------------
    def complete_task(
        self,
        task_id: str,
        data: Mapping[str, Any],
        *,
        lane_allowed: LanePolicy | None = None,
        allowed_keys: Collection[str] | None = None,
    ) -> TaskView:
        """Complete a READY human task with validated form data, then run to the next wait state."""
        task = self._find(task_id)
        if task.state != TaskState.READY:
            raise TaskNotReady(f"task {task.task_spec.bpmn_id} is {TaskState.get_name(task.state)}, not READY")
        if not task.task_spec.manual:
            raise TaskNotManual(f"task {task.task_spec.bpmn_id} is not a human task")
        lane = task_lane(task)
        if lane_allowed is not None and not lane_allowed(lane):
            raise LaneNotAllowed(f"you hold no role for the lane {lane or '(none)'}")
        if allowed_keys is not None:
            extra = [k for k in data if k not in allowed_keys]
            if extra:
                raise FormKeysRejected(extra)
        view = task_view(task)
        task.set_data(**dict(data))
        self._guarded(task.run)
        self._step()
        return view

    def deliver_message(self, name: str, payload: Any = None, correlations: Mapping[str, Any] | None = None) -> None:
        """Deliver a BPMN message; MessageNotExpected when nothing waits for it."""
        event = BpmnEvent(MessageEventDefinition(name), payload, dict(correlations or {}))
        try:
            with engine_clock.using(self._clock):
                self._wf.send_event(event)
        except WorkflowException as exc:
            raise MessageNotExpected(str(exc)) from exc
        self._step()

    def fire_timers(self, now: datetime | None = None) -> None:
        """Fire every timer due at `now` (default: the engine's clock) and run what they release."""
        moment = engine_clock.aware(now or self._clock())
        previous, self._clock = self._clock, (lambda: moment)
        try:
            self._guarded(self._wf.refresh_timers)
            self._step()
        finally:
            self._clock = previous

    def complete_service_call(self, task_id: str, result: Any) -> None:
        """Hand a service task the partner's answer and continue."""
        task = self._find(task_id)
        if not isinstance(task.task_spec, OutboxServiceTask) or task.state != TaskState.STARTED:
            raise TaskNotReady(f"task {task.task_spec.bpmn_id} is not waiting for a service call")
        call = task.internal_data.pop(PENDING_CALL_KEY, {})
        task.data[call.get("result_variable") or task.task_spec.result_variable] = result
        self._guarded(task.complete)
        self._step()

    def retry_errored(self) -> int:
        """Put tasks that failed with a script error back to READY and run again; returns how many."""
        errored = self._wf.get_tasks(state=TaskState.ERROR)
        for task in errored:
            task._set_state(TaskState.READY)
        self._step()
        return len(errored)

    def cancel(self) -> None:
        self._wf.cancel()

    def check_migration(self, version_key: str, spec_json: str) -> MigrationCheck:
        """Whether this instance can move to another version without rewriting its past."""
        new = self._engine.serializer.cached_spec(version_key, spec_json)
        verdict, _diffs = migration.check(self._engine.serializer, self._wf, new)
        return verdict

    def migrate(self, version_key: str, spec_json: str, *, force: bool = False) -> MigrationCheck:
        """Move to another version (MigrationUnsafe unless safe or forced), keep timer deadlines,
        then fire whatever is already due and run to the next wait state."""
        new = self._engine.serializer.cached_spec(version_key, spec_json)
        verdict, diffs = migration.check(self._engine.serializer, self._wf, new)
        if not verdict.safe and not force:
            raise MigrationUnsafe(verdict.reasons)
        self._guarded(lambda: migration.migrate(self._wf, new, diffs))
        self._version_key = version_key
        self._guarded(self._wf.refresh_timers)
        self._step()
        return verdict

    # --- internals ---------------------------------------------------------------------------
    def _find(self, task_id: str) -> Any:
        try:
            return self._wf.get_task_from_id(UUID(str(task_id)))
        except (ValueError, TaskNotFoundException) as exc:
            raise TaskNotFound(f"no task {task_id} in this instance") from exc

    def _step(self) -> None:
        self._guarded(self._wf.do_engine_steps)
        # Outbound messages are collected as they appear, so a later error does not lose them.
        self._outbound.extend(self._wf.get_events())

    def _guarded(self, fn: Callable[[], Any]) -> Any:
        """Run engine work on this instance's clock, turning SpiffWorkflow errors into ScriptError."""
        try:
            with engine_clock.using(self._clock):
                return fn()
        except ScriptError:
            raise
        except SpiffWorkflowException as exc:
            raise _script_error(exc) from exc


def _root_cause(exc: BaseException) -> BaseException:
    """SpiffWorkflow wraps script failures (sometimes twice); find what actually went wrong."""
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "exception", None)
        if isinstance(inner, BaseException):
            current = inner
            continue
        if isinstance(current, ScriptError):
            break
        nxt = current.__cause__ or current.__context__
        if nxt is None:
            break
        current = nxt
    return current


def _script_error(exc: Any) -> ScriptError:
    cause = _root_cause(exc)
    spec = getattr(getattr(exc, "task", None), "task_spec", None)
    bpmn_id = getattr(spec, "bpmn_id", None) or getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None)
    line = line if isinstance(line, int) and line > 0 else None
    if isinstance(cause, ScriptTimeout):
        return ScriptTimeout(cause.detail, bpmn_id=bpmn_id, line=line)
    if isinstance(cause, ScriptError):
        return ScriptError(cause.detail, bpmn_id=bpmn_id, line=line)
    if cause is exc:
        return ScriptError(str(exc), bpmn_id=bpmn_id, line=line)
    return ScriptError(f"{cause.__class__.__name__}: {cause}", bpmn_id=bpmn_id, line=line)
