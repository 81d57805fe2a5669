"""A supervisor's answer to an incident: retry it."""

from __future__ import annotations

from sqlalchemy import select

from services.context import Actor, Services
from services.errors import Conflict, Forbidden, NotFound
from services.projection import NON_BLOCKING_INCIDENTS, audit
from services.runtime import lock_instance, restore, run_and_save
from services.uow import UnitOfWork
from store.models import Incident, OutboxItem


def retry_incident(svc: Services, actor: Actor, incident_id: int) -> str:
    """Retry what failed: the outbox call again, or the errored script tasks. Returns the new status."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may retry incidents")
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        incident = uow.session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if incident.status != "open":
            raise Conflict("this incident is already resolved")
        instance = lock_instance(uow, incident.instance_id)
        # An outbox incident is retried alone; the engine retries every errored task of the instance at
        # once, so all of the instance's engine-side incidents are answered together.
        answered = [incident] if incident.outbox_id is not None else _engine_incidents(uow, instance.id)
        for open_one in answered:
            open_one.status, open_one.resolved_at, open_one.resolved_by = "resolved", now, actor.username
        if instance.status == "error" and not _still_blocked(uow, instance.id):
            instance.status = "running"  # never revives a completed, cancelled or suspended instance
        if incident.outbox_id is not None:
            item = uow.session.get(OutboxItem, incident.outbox_id)
            if item is not None:
                item.status, item.attempts, item.next_attempt_at = "pending", 0, now
        else:
            engine_instance = restore(svc, uow, instance)
            run_and_save(svc, uow, instance, engine_instance, lambda inst: inst.retry_errored(), actor=actor.username)
        audit(
            uow.session,
            actor=actor.username,
            action="incident_retried",
            now=now,
            row=instance,
            details={"incident_id": incident_id, "kind": incident.kind},
        )
        uow.commit()
        return instance.status


def _engine_incidents(uow: UnitOfWork, instance_id: int) -> list[Incident]:
    query = select(Incident).where(
        Incident.instance_id == instance_id, Incident.status == "open", Incident.outbox_id.is_(None)
    )
    return list(uow.session.scalars(query))


def _still_blocked(uow: UnitOfWork, instance_id: int) -> bool:
    """Another open incident of the instance that stops it (a retry answers one incident, not all)."""
    uow.session.flush()
    return (
        uow.session.scalar(
            select(Incident.id)
            .where(
                Incident.instance_id == instance_id,
                Incident.status == "open",
                Incident.kind.not_in(NON_BLOCKING_INCIDENTS),
            )
            .limit(1)
        )
        is not None
    )


def open_incidents(svc: Services, actor: Actor) -> list[Incident]:
    if not actor.has("supervisor", "process_owner"):
        raise Forbidden("only supervisors and process owners see incidents")
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.scalars(select(Incident).where(Incident.status == "open").order_by(Incident.id)))
