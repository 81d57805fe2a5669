"""A supervisor's answer to an incident: retry it."""

from __future__ import annotations

from sqlalchemy import select

from services.context import Actor, Services
from services.errors import Conflict, Forbidden, NotFound
from services.projection import audit, resolve_incidents
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
        resolve_incidents(uow.session, instance, actor.username, now)
        instance.status = "running"
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


def open_incidents(svc: Services, actor: Actor) -> list[Incident]:
    if not actor.has("supervisor", "process_owner"):
        raise Forbidden("only supervisors and process owners see incidents")
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.scalars(select(Incident).where(Incident.status == "open").order_by(Incident.id)))
