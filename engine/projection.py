"""Read a workflow into plain values: task views, lanes, due timers, subscriptions, the snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow import TaskState  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.specs.event_definitions.message import (  # type: ignore[import-untyped]
    MessageEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import (  # type: ignore[import-untyped]
    MultipleEventDefinition,
)

from engine.serializer import StateSerializer
from engine.specs import PENDING_CALL_KEY, OutboxServiceTask
from engine.types import InstanceSnapshot, MessageSubscription, OutboundMessage, ServiceCall, TaskView

ACTIVE_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def task_lane(task: Any) -> str | None:
    """The task's lane; tasks of a called process without lanes inherit the calling activity's lane."""
    lane, workflow = task.task_spec.lane, task.workflow
    while lane is None and getattr(workflow, "parent_task_id", None) is not None:
        caller = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        lane, workflow = caller.task_spec.lane, caller.workflow
    return lane  # type: ignore[no-any-return]


def task_view(task: Any, *, with_data: bool = False) -> TaskView:
    spec = task.task_spec
    ext = getattr(spec, "extensions", None) or {}
    props = {str(k): str(v) for k, v in (ext.get("properties") or {}).items()}
    return TaskView(
        id=str(task.id),
        bpmn_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        process_id=task.workflow.spec.name,
        lane=task_lane(task),
        state=TaskState.get_name(task.state),
        manual=bool(getattr(spec, "manual", False)),
        form_schema=props.get("formJsonSchemaFilename"),
        form_ui_schema=props.get("formUiSchemaFilename"),
        instructions=ext.get("instructionsForEndUser"),
        properties=props,
        data=dict(task.data) if with_data else {},
        # read from the task's own data: a task of a called process sees that process's variables
        due_value=task.data.get(props["dueAt"]) if props.get("dueAt") else None,
        urgent=task.data.get("urgent") is True,
    )


def _due(value: Any) -> datetime | None:
    value = value.get("next") if isinstance(value, dict) else value  # cycle timers
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None  # a timeDate given as a non-ISO string: SpiffWorkflow will fail it later
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _message_names(event_definition: Any) -> list[str]:
    if isinstance(event_definition, MessageEventDefinition):
        return [event_definition.name]
    if isinstance(event_definition, MultipleEventDefinition):
        return [n for d in event_definition.event_definitions for n in _message_names(d)]
    return []


def waiting_events(workflow: Any) -> tuple[datetime | None, tuple[MessageSubscription, ...]]:
    """Earliest due timer and message subscriptions, from the workflow's waiting event tasks.

    `waiting_events()` hides timers under event-based gateways (notes pitfall 6), so read the
    tasks' own `event_value` instead.
    """
    dues: list[datetime] = []
    subs: dict[str, MessageSubscription] = {}
    for task in list(workflow.event_manager.tasks.values()):
        if not task.has_state(TaskState.WAITING):
            continue
        due = _due(task.internal_data.get("event_value"))
        if due is not None:
            dues.append(due)
        for name in _message_names(getattr(task.task_spec, "event_definition", None)):
            subs.setdefault(name, MessageSubscription(name=name, correlations=dict(workflow.correlations)))
    return (min(dues) if dues else None), tuple(subs.values())


def tree_depth(workflow: Any) -> int:
    """The deepest task in the top workflow's tree (SpiffWorkflow stalls past 1000)."""
    deepest = 0
    stack = [(workflow.task_tree, 0)]
    while stack:
        task, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in task.children)
    return deepest


def build_snapshot(
    workflow: Any, serializer: StateSerializer, outbound: tuple[Any, ...], *, max_state_bytes: int | None = None
) -> InstanceSnapshot:
    """Serialize first: StateUnstorable before any projection work when the state cannot be kept."""
    state_json = serializer.dumps(workflow, max_state_bytes)
    ready: list[TaskView] = []
    active: list[str] = []
    calls: list[ServiceCall] = []
    last_data: dict[str, Any] = {}
    latest: Any = None  # the most recently completed task anywhere in the tree, called processes included
    for task in workflow.get_tasks(max_depth=10**6):
        spec = task.task_spec
        if task.state == TaskState.COMPLETED:
            if latest is None or task.last_state_change >= latest.last_state_change:
                latest = task
            continue
        if not task.has_state(ACTIVE_STATES):
            continue
        if spec.bpmn_id is not None:
            active.append(spec.bpmn_id)
        if task.state == TaskState.READY and spec.manual:
            ready.append(task_view(task))
        elif task.state == TaskState.STARTED and isinstance(spec, OutboxServiceTask):
            call = task.internal_data.get(PENDING_CALL_KEY)
            if call:
                calls.append(
                    ServiceCall(
                        task_id=str(task.id),
                        bpmn_id=spec.bpmn_id,
                        operation=call["operation"],
                        params=call["params"],
                        result_variable=call["result_variable"],
                    )
                )
    if latest is not None:
        last_data = dict(latest.data)
    elif workflow.last_task is not None:
        last_data = dict(workflow.last_task.data)
    if workflow.completed:
        last_data = {**last_data, **workflow.data}
    next_timer, subs = waiting_events(workflow)
    return InstanceSnapshot(
        state_json=state_json,
        serializer_version=serializer.version,
        completed=bool(workflow.completed),
        ready_tasks=tuple(ready),
        active_element_ids=tuple(dict.fromkeys(active)),
        next_timer_at=next_timer,
        subscriptions=subs,
        outbound_messages=tuple(
            OutboundMessage(name=e.event_definition.name, payload=e.payload, correlations=dict(e.correlations or {}))
            for e in outbound
        ),
        service_calls=tuple(calls),
        data=last_data,
        tree_depth=tree_depth(workflow),
    )
