"""Load, lock, restore and save instances inside a unit of work (shared by the use cases)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, event, select

from engine import Instance, ScriptError, StateCorrupt, StateUnstorable
from services.context import Services
from services.errors import Conflict, NotFound
from services.projection import apply_snapshot, record_incident
from services.uow import UnitOfWork
from store.models import HumanTask, ProcessInstance


def lock_instance(uow: UnitOfWork, instance_id: int) -> ProcessInstance:
    """Load an instance for change: a row lock on PostgreSQL (other writers wait), and the
    optimistic version counter on every database (a lost race becomes a Conflict at commit)."""
    row = uow.session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update(of=ProcessInstance)
    ).first()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    return row


@cache
def _task_and_instance_for_update() -> Select[HumanTask, ProcessInstance]:
    # Built once: constructing the statement and its cache key cost about as much as running it.
    return (
        select(HumanTask, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.id == bindparam("task_id"))
        .with_for_update(of=(ProcessInstance, HumanTask))  # the task row too: claims race on it
    )


def lock_task_instance(uow: UnitOfWork, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    """A task and its instance in one query, the instance locked for change (see lock_instance)."""
    found = uow.session.execute(_task_and_instance_for_update(), {"task_id": str(task_id)[:36]}).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found[0], found[1]


def restore(svc: Services, uow: UnitOfWork, row: ProcessInstance, *, reuse: bool = False) -> Instance:
    """The instance's workflow. `reuse`: take the workflow a previous use case in this thread kept
    after committing exactly this state (engine.workflow_cache); the caller then hands it back with
    `keep_after_commit`."""
    version = svc.versions.get(uow.session, row.version_id)
    try:
        return svc.engine.restore(version.key, version.spec_json, row.state_json, cache_key=row.id if reuse else None)
    except StateCorrupt as exc:
        raise Conflict(f"instance {row.id} cannot be restored: {exc}") from exc


def keep_after_commit(svc: Services, uow: UnitOfWork, row: ProcessInstance, instance: Instance) -> None:
    """Once this unit of work has committed, keep the instance's workflow for the next use case on
    it (restore with `reuse`); if it rolls back, nothing is kept. `instance` is not used after.
    (A use case that commits itself can call `svc.engine.keep` after its commit instead: cheaper.)"""
    instance_id = row.id
    event.listen(uow.session, "after_commit", lambda _session: svc.engine.keep(instance_id, instance), once=True)


def run_and_save(
    svc: Services,
    uow: UnitOfWork,
    row: ProcessInstance,
    instance: Instance,
    action: Callable[[Instance], Any],
    *,
    actor: str,
    handled: frozenset[str] = frozenset(),
) -> tuple[Any, list[str]]:
    """Run `action` on the instance and project the result; returns (action's result, ids of newly
    opened inbox tasks). A script error does not lose what came before it: the instance is saved
    in its error state with an incident for a supervisor. `handled`: task ids the caller updates.
    When the state after the action cannot be stored (too large, not JSON), nothing of the action
    is kept, the instance gets an incident, and the result is a StateUnstorable error."""
    now = svc.now()
    before = instance.baseline()
    error: ScriptError | None = None
    try:
        result = action(instance)
    except ScriptError as exc:
        result = error = exc
    snap = instance.snapshot()
    opened = apply_snapshot(uow.session, row, snap, now=now, actor=actor, before=before, handled=handled)
    if error is not None:
        record_incident(uow.session, row, "script_error", error.bpmn_id, str(error), now)
    if snap.unstorable is not None:
        return StateUnstorable(snap.unstorable), opened
    return result, opened
