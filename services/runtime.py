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


def restore(svc: Services, row: ProcessInstance) -> Instance:
    version = row.version
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
) -> tuple[Any, list[HumanTask]]:
    """Run `action` on the instance and project the result. A script error does not lose what
    came before it: the instance is saved in its error state with an incident for a supervisor."""
    now = svc.now()
    try:
        result = action(instance)
    except ScriptError as exc:
        opened = apply_snapshot(uow.session, row, instance.snapshot(), now=now, actor=actor)
        record_incident(uow.session, row, "script_error", exc.bpmn_id, str(exc), now)
        return exc, opened
    opened = apply_snapshot(uow.session, row, instance.snapshot(), now=now, actor=actor)
    return result, opened
