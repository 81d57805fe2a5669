"""Version diffs and moving running instances to a new version of their process.

Built on SpiffWorkflow's `bpmn.util.diff` (notes section 6), with two additions it lacks:
- a safety verdict per instance, with reasons a process owner can read;
- business deadlines survive: `migrate_workflow` resets WAITING timers, which would restart a
  relative timer (P30D) from now and lose an overdue deadline, so each waiting timer's due time
  is carried over to the same element in the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow import TaskState  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.util.diff import (  # type: ignore[import-untyped]
    SpecDiff,
    WorkflowDiff,
    migrate_workflow,
)

from engine.serializer import SpecPair, StateSerializer

# Attributes whose change does not alter what already happened to a finished task.
COSMETIC = frozenset({"bpmn_name", "documentation", "extensions", "lane", "description", "outputs"})
FINISHED_OR_RUNNING = TaskState.COMPLETED | TaskState.STARTED


@dataclass(frozen=True)
class SpecChanges:
    """What differs between two versions of one (sub)process, by element id."""

    process_id: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # element id -> changed attributes

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class MigrationCheck:
    safe: bool
    reasons: tuple[str, ...]
    changes: tuple[SpecChanges, ...]


def _visible(spec: Any) -> bool:
    """Only elements a modeler drew (with a BPMN id), not SpiffWorkflow's internal joins and splits."""
    return getattr(spec, "bpmn_id", None) is not None


def spec_changes(serializer: StateSerializer, old: Any, new: Any) -> SpecChanges:
    diff = SpecDiff(serializer.full_registry, old, new)
    return SpecChanges(
        process_id=new.name,
        added=tuple(sorted(s.bpmn_id for s in diff.added if _visible(s))),
        removed=tuple(sorted(s.bpmn_id for s in diff.removed if _visible(s))),
        changed={
            s.bpmn_id: tuple(sorted(c)) for s, c in sorted(diff.changed.items(), key=lambda i: i[0].name) if _visible(s)
        },
    )


def diff_versions(serializer: StateSerializer, old: SpecPair, new: SpecPair) -> tuple[SpecChanges, ...]:
    """Element-level changes of the top process and of every called process both versions share."""
    result = [spec_changes(serializer, old[0], new[0])]
    for name in sorted(set(old[1]) | set(new[1])):
        if name in old[1] and name in new[1]:
            result.append(spec_changes(serializer, old[1][name], new[1][name]))
        elif name in new[1]:
            result.append(SpecChanges(name, added=("(called process added)",)))
        else:
            result.append(SpecChanges(name, removed=("(called process removed)",)))
    return tuple(c for c in result if not c.empty)


def _unsafe(diff: WorkflowDiff, spec_diff: Any, where: str) -> list[str]:
    reasons = []
    for task in diff.removed:
        if task.has_state(FINISHED_OR_RUNNING) and _visible(task.task_spec):
            reasons.append(f"{where}: {task.task_spec.bpmn_id} was removed but has already run")
    for task in diff.changed:
        if not task.has_state(FINISHED_OR_RUNNING) or not _visible(task.task_spec):
            continue
        attrs = set(spec_diff.changed.get(task.task_spec, ())) - COSMETIC
        if attrs:
            reasons.append(
                f"{where}: {task.task_spec.bpmn_id} has already run and its {', '.join(sorted(attrs))} changed"
            )
    return reasons


def check(serializer: StateSerializer, workflow: Any, new: SpecPair) -> tuple[MigrationCheck, Any]:
    """Whether `workflow` can move to `new` without rewriting what already happened.
    Returns the verdict and the per-workflow diffs `migrate` needs."""
    registry = serializer.full_registry
    top_spec_diff = SpecDiff(registry, workflow.spec, new[0])
    diffs: dict[Any, Any] = {None: WorkflowDiff(workflow, top_spec_diff)}
    reasons = _unsafe(diffs[None], top_spec_diff, workflow.spec.name)
    for sp_id, sp in workflow.subprocesses.items():
        new_spec = new[1].get(sp.spec.name)
        if new_spec is None:
            diffs[sp_id] = None
            if not sp.completed:
                reasons.append(f"the called process {sp.spec.name} is running but missing from the new version")
            continue
        sp_spec_diff = SpecDiff(registry, sp.spec, new_spec)
        diffs[sp_id] = WorkflowDiff(sp, sp_spec_diff)
        reasons.extend(_unsafe(diffs[sp_id], sp_spec_diff, sp.spec.name))
    changes = diff_versions(serializer, (workflow.spec, workflow.subprocess_specs), new)
    return MigrationCheck(not reasons, tuple(reasons), changes), diffs


def _timer_deadlines(workflow: Any) -> dict[tuple[str, str | None], Any]:
    deadlines = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        value = task.internal_data.get("event_value")
        if value is not None and _visible(task.task_spec):
            deadlines[(task.workflow.spec.name, task.task_spec.bpmn_id)] = value
    return deadlines


def migrate(workflow: Any, new: SpecPair, diffs: dict[Any, Any]) -> None:
    """Re-point the workflow at the new specs, keeping the due times of waiting timers."""
    deadlines = _timer_deadlines(workflow)
    mask = TaskState.READY | TaskState.WAITING
    migrate_workflow(diffs[None], workflow, new[0], reset_mask=mask)
    for sp_id, sp_diff in diffs.items():
        sp = workflow.subprocesses.get(sp_id) if sp_id is not None else None
        if sp is not None and sp_diff is not None:
            migrate_workflow(sp_diff, sp, new[1][sp.spec.name], reset_mask=mask)
    workflow.subprocess_specs = new[1]
    for task in workflow.get_tasks(state=TaskState.WAITING):
        kept = deadlines.get((task.workflow.spec.name, getattr(task.task_spec, "bpmn_id", None)))
        if kept is not None:
            task.internal_data["event_value"] = kept
            task.internal_data.pop("event_fired", None)
