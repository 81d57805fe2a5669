"""A supervisor's hand on a running instance: suspend, resume, cancel; reassign a task; retry an incident.

Every action is written to the audit log (the instance's history) with who, when and why, in the
same transaction as the change. Suspend, resume and cancel need a reason; reassign and retry take
an optional one, logged as `action_reason` next to the event the task and incident services write.

- Suspend: the instance keeps its state; the timer worker skips it (it fires only `running`
  instances) and a task of it cannot be completed until it is resumed.
- Resume: back to `running`, or to `error` while an incident is still open.
- Cancel: the engine cancels the workflow; its open tasks close as cancelled, its waiting timers and
  message subscriptions go, pending service calls are dropped and open incidents are resolved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.incidents import retry_incident
from services.projection import apply_snapshot, audit, resolve_incidents
from services.runtime import lock_instance, restore
from services.tasks import assign
from services.uow import UnitOfWork
from store.models import HumanTask, Incident, MessageSubscription, OutboxItem, ProcessInstance

ADMIN_ROLES = ("supervisor",)
MIN_REASON, MAX_REASON = 5, 1000
SUSPENDABLE = ("running", "waiting", "error")
FINISHED = ("completed", "cancelled")


def _reason(reason: str | None, *, required: bool) -> str:
    text = " ".join((reason or "").split())
    if required and len(text) < MIN_REASON:
        raise InvalidInput("a reason is required", {"reason": f"Say why, in at least {MIN_REASON} characters."})
    if len(text) > MAX_REASON:
        raise InvalidInput("the reason is too long", {"reason": f"At most {MAX_REASON} characters."})
    return text


def _require(actor: Actor) -> None:
    if not actor.has(*ADMIN_ROLES):
        raise Forbidden("only a supervisor may suspend, resume or cancel processes")


def _log(uow: UnitOfWork, actor: Actor, action: str, now: datetime, row: ProcessInstance, **details: object) -> None:
    audit(uow.session, actor=actor.username, action=action, now=now, row=row, details=dict(details))


def suspend_instance(svc: Services, actor: Actor, instance_id: int, reason: str) -> str:
    """Hold the instance where it is; returns the new status."""
    _require(actor)
    why = _reason(reason, required=True)
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = lock_instance(uow, instance_id)
        if row.status == "suspended":
            raise Conflict("this process is already suspended")
        if row.status not in SUSPENDABLE:
            raise Conflict(f"a {row.status} process cannot be suspended")
        previous, row.status, row.updated_at = row.status, "suspended", now
        _log(uow, actor, "instance_suspended", now, row, reason=why, previous_status=previous)
        uow.commit()
        return row.status


def resume_instance(svc: Services, actor: Actor, instance_id: int, reason: str) -> str:
    """Let a suspended instance go on; returns the new status (`error` while an incident is open)."""
    _require(actor)
    why = _reason(reason, required=True)
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = lock_instance(uow, instance_id)
        if row.status != "suspended":
            raise Conflict("only a suspended process can be resumed")
        blocking = uow.session.scalar(
            select(Incident.id)
            .where(Incident.instance_id == row.id, Incident.status == "open", Incident.kind != "tree_depth")
            .limit(1)
        )
        row.status, row.updated_at = ("error" if blocking is not None else "running"), now
        _log(uow, actor, "instance_resumed", now, row, reason=why, status=row.status)
        uow.commit()
        return row.status


def cancel_instance(svc: Services, actor: Actor, instance_id: int, reason: str) -> str:
    """End the instance for good; returns `cancelled`."""
    _require(actor)
    why = _reason(reason, required=True)
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = lock_instance(uow, instance_id)
        if row.status in FINISHED:
            raise Conflict(f"this process is already {row.status}")
        previous, was_at = row.status, list(row.active_elements or [])
        try:
            engine_instance = restore(svc, uow, row)
        except Conflict:
            engine_instance = None  # a state that no longer restores can still be cancelled, by its rows
        row.status, row.completed_at = "cancelled", now  # before projecting: a cancelled run is not "completed"
        if engine_instance is not None:
            before = engine_instance.baseline()
            engine_instance.cancel()
            snap = engine_instance.snapshot()
            apply_snapshot(uow.session, row, snap, now=now, actor=actor.username, before=before)
        # Whatever the engine no longer reports as READY is closed by the projection; close the rest too.
        uow.session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == row.id, HumanTask.status == "open")
            .values(status="cancelled", completed_at=now)
        )
        uow.session.execute(
            update(OutboxItem)
            .where(OutboxItem.instance_id == row.id, OutboxItem.status == "pending")
            .values(status="cancelled", done_at=now, last_error=f"instance cancelled by {actor.username}")
        )
        resolve_incidents(uow.session, row, actor.username, now)
        uow.session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == row.id))
        row.next_timer_at, row.active_elements = None, []
        _log(uow, actor, "instance_cancelled", now, row, reason=why, previous_status=previous, active_elements=was_at)
        uow.commit()
        return row.status


def _note(
    svc: Services,
    actor: Actor,
    action: str,
    why: str,
    *,
    instance_id: int,
    task_id: str | None = None,
    incident_id: int | None = None,
) -> None:
    """The reason for a reassignment or a retry, logged right after the event the action wrote."""
    if not why:
        return
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        details: dict[str, object] = {"for": action, "reason": why}
        if incident_id is not None:
            details["incident_id"] = incident_id
        audit(
            uow.session,
            actor=actor.username,
            action="action_reason",
            now=svc.now(),
            row=row,
            task_id=task_id,
            details=details,
        )
        uow.commit()


def reassign_task(svc: Services, actor: Actor, task_id: str, username: str | None, reason: str = "") -> HumanTask:
    """Give an open task to `username` (None releases it) — services.tasks.assign, plus the reason."""
    why = _reason(reason, required=False)
    task = assign(svc, actor, task_id, username)
    _note(svc, actor, "task_assigned", why, instance_id=task.instance_id, task_id=task.id)
    return task


def retry(svc: Services, actor: Actor, incident_id: int, reason: str = "") -> str:
    """Retry an incident (services.incidents.retry_incident) unless its instance is suspended."""
    why = _reason(reason, required=False)
    with UnitOfWork(svc.sessions) as uow:
        incident = uow.session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        instance = uow.session.get(ProcessInstance, incident.instance_id)
        if instance is not None and instance.status == "suspended":
            raise Conflict("this process is suspended; resume it before retrying")
    status = retry_incident(svc, actor, incident_id)
    _note(svc, actor, "incident_retried", why, instance_id=incident.instance_id, incident_id=incident_id)
    return status
