"""Load, lock, restore and save instances inside a unit of work (shared by the use cases)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from engine import Instance, ScriptError, StateCorrupt
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


def lock_task_instance(uow: UnitOfWork, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    """A task and its instance in one query, the instance locked for change (see lock_instance)."""
    found = uow.session.execute(
        select(HumanTask, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.id == str(task_id)[:36])
        .with_for_update(of=(ProcessInstance, HumanTask))  # the task row too: claims race on it
    ).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found[0], found[1]


def restore(svc: Services, uow: UnitOfWork, row: ProcessInstance) -> Instance:
    version = svc.versions.get(uow.session, row.version_id)
    try:
        return svc.engine.restore(version.key, version.spec_json, row.state_json)
    except StateCorrupt as exc:
        raise Conflict(f"instance {row.id} cannot be restored: {exc}") from exc


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
    in its error state with an incident for a supervisor. `handled`: task ids the caller updates."""
    now = svc.now()
    before = instance.baseline()
    try:
        result = action(instance)
    except ScriptError as exc:
        snap = instance.snapshot()
        opened = apply_snapshot(uow.session, row, snap, now=now, actor=actor, before=before, handled=handled)
        record_incident(uow.session, row, "script_error", exc.bpmn_id, str(exc), now)
        return exc, opened
    snap = instance.snapshot()
    opened = apply_snapshot(uow.session, row, snap, now=now, actor=actor, before=before, handled=handled)
    return result, opened
