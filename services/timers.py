"""Fire due timers. Several workers may run this at once; each due timer fires exactly once.

On PostgreSQL each worker claims one due instance at a time with `FOR UPDATE SKIP LOCKED`, so
workers never wait for each other and never take the same instance; after the commit the
instance's `next_timer_at` has moved on. On SQLite `BEGIN IMMEDIATE` serialises the workers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import ScriptError
from services.context import SYSTEM, Services
from services.projection import audit
from services.runtime import restore, run_and_save
from services.uow import UnitOfWork
from store.db import is_sqlite
from store.models import ProcessInstance


def fire_due_timers(svc: Services, *, now: datetime | None = None, limit: int = 100) -> int:
    """Fire the timers of up to `limit` due instances; returns how many instances were advanced."""
    moment = now or svc.now()
    fired = 0
    skip: set[int] = set()
    while fired < limit:
        with UnitOfWork(svc.sessions, write=True) as uow:
            query = (
                select(ProcessInstance)
                .where(ProcessInstance.next_timer_at < moment, ProcessInstance.status == "running")
                .order_by(ProcessInstance.next_timer_at)
                .limit(1)
            )
            if skip:
                query = query.where(ProcessInstance.id.not_in(skip))
            if not is_sqlite(svc.db):
                query = query.with_for_update(skip_locked=True, of=ProcessInstance)
            row = uow.session.scalars(query).first()
            if row is None:
                return fired
            due = row.next_timer_at
            engine_instance = restore(svc, uow, row)
            outcome, _opened = run_and_save(
                svc, uow, row, engine_instance, lambda inst: inst.fire_timers(moment), actor=SYSTEM.username
            )
            audit(
                uow.session,
                actor="timer",
                action="timer_fired",
                now=moment,
                row=row,
                details={
                    "due": due.isoformat() if due else None,
                    "script_error": str(outcome) if isinstance(outcome, ScriptError) else None,
                },
            )
            if row.next_timer_at is not None and row.next_timer_at < moment:
                skip.add(row.id)  # not released by this clock (e.g. a timer SpiffWorkflow still holds): no spin
            uow.commit()
        fired += 1
    return fired
