"""Run outbox items after their transaction committed: service calls to partners and outbound messages.

An item is leased (its next attempt pushed past the lease) in a short transaction, the call runs
with no transaction open, and the result is written in a second transaction that also completes
the waiting service task. A worker that dies mid-call leaves the lease to expire, and another
worker repeats the call with the same idempotency key, which the partner uses to answer once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine import TaskNotFound, TaskNotReady
from integrations.errors import PartnerRejected
from processes.service_calls import CallContext
from services.context import SYSTEM, Services
from services.errors import Conflict
from services.messages import deliver_message
from services.projection import audit, record_incident
from services.referrer_notifications import REFERRER_MESSAGE, WEBHOOK_KIND, record_outcome, send_webhook
from services.runtime import lock_instance, restore, run_and_save
from services.uow import UnitOfWork
from store.db import is_sqlite
from store.models import OutboxItem, ProcessInstance

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    name: str
    payload: Any
    key: str
    attempts: int
    instance_id: int
    task_id: str | None


class _Permanent(Exception):
    """A failure that retrying cannot fix."""


def run_outbox(svc: Services, *, now: datetime | None = None, limit: int = 50) -> int:
    """Run up to `limit` due outbox items; returns how many were attempted."""
    attempted = 0
    while attempted < limit:
        moment = now or svc.now()
        item = _claim(svc, moment)
        if item is None:
            break
        attempted += 1
        try:
            result = _perform(svc, item)
        except _Permanent as exc:
            _fail(svc, item, str(exc), moment, permanent=True)
        except Exception as exc:  # noqa: BLE001 - any other failure of a partner call is retried
            _fail(svc, item, f"{exc.__class__.__name__}: {exc}", moment, permanent=False)
        else:
            _succeed(svc, item, result, moment)
    return attempted


def _claim(svc: Services, now: datetime) -> Claimed | None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        # A suspended instance is on hold: its service calls wait (a partner's answer would move the
        # process on); notifications and messages to others still go out.
        on_hold = (
            select(ProcessInstance.id)
            .where(ProcessInstance.id == OutboxItem.instance_id, ProcessInstance.status == "suspended")
            .exists()
        )
        query = (
            select(OutboxItem)
            .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
            .where(~(on_hold & (OutboxItem.kind == "service_call")))
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(1)
        )
        if not is_sqlite(svc.db):
            query = query.with_for_update(skip_locked=True)
        item = uow.session.scalars(query).first()
        if item is None:
            return None
        item.attempts += 1
        item.next_attempt_at = now + LEASE
        claimed = Claimed(
            item.id,
            item.kind,
            item.name,
            item.payload,
            item.idempotency_key,
            item.attempts,
            item.instance_id,
            item.task_id,
        )
        uow.commit()
        return claimed


def _perform(svc: Services, item: Claimed) -> Any:
    if item.kind == "message":
        return _route_message(svc, item)
    if item.kind == WEBHOOK_KIND:  # the referrer's yes/no; not a BPMN operation, so no model can aim it elsewhere
        try:
            return send_webhook(svc, dict(item.payload or {}), item.key)
        except PartnerRejected as exc:
            raise _Permanent(str(exc)) from exc
    handler = svc.handlers.get(item.name)
    if handler is None:
        raise _Permanent(f"no handler for the service operation {item.name!r}")
    with svc.http_client() as http:
        ctx = CallContext(
            idempotency_key=item.key,
            http=http,
            return_partner_url=svc.settings.return_partner_url,
            return_partner_token=svc.settings.return_partner_token,
        )
        try:
            return handler(dict(item.payload or {}), ctx)
        except PartnerRejected as exc:
            raise _Permanent(str(exc)) from exc


def _route_message(svc: Services, item: Claimed) -> Any:
    """An outbound message reaches other instances waiting for it (same correlation); `notify_referrer`
    also tells the referrer (services.referrer_notifications)."""
    body = item.payload or {}
    told = (
        record_outcome(svc, outbox_id=item.id, payload=body.get("payload")) if item.name == REFERRER_MESSAGE else None
    )
    try:
        reached = deliver_message(
            svc, SYSTEM, item.name, body.get("payload"), correlations=body.get("correlations") or None
        )
    except Conflict:
        reached = []
    result: dict[str, Any] = {"delivered_to": [i for i in reached if i != item.instance_id]}
    if told is not None:
        result.update(told)
    return result


def _succeed(svc: Services, item: Claimed, result: Any, now: datetime) -> None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(OutboxItem, item.id)
        if row is None or row.status != "pending":
            return  # another worker finished it after our lease ran out
        row.status, row.result, row.done_at, row.last_error = "done", result, now, None
        if item.kind == "service_call" and item.task_id:
            instance = lock_instance(uow, item.instance_id)
            engine_instance = restore(svc, uow, instance)
            try:
                run_and_save(
                    svc,
                    uow,
                    instance,
                    engine_instance,
                    lambda inst: inst.complete_service_call(item.task_id or "", result),
                    actor="worker",
                )
            except (TaskNotReady, TaskNotFound):
                # The process moved on while the partner answered (e.g. the client cancelled the return):
                # the answer is kept on the outbox row, and nothing waits for it any more.
                row.status, row.last_error = "cancelled", "the service task was no longer waiting for this answer"
        audit(
            uow.session,
            actor="worker",
            action="outbox_done",
            now=now,
            case_id=None,
            details={
                "outbox_id": item.id,
                "kind": item.kind,
                "name": item.name,
                "attempts": item.attempts,
                "instance_id": item.instance_id,
            },
        )
        uow.commit()


def _fail(svc: Services, item: Claimed, error: str, now: datetime, *, permanent: bool) -> None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(OutboxItem, item.id)
        if row is None or row.status != "pending":
            return
        row.last_error = error[:4000]
        if permanent or item.attempts >= svc.settings.outbox_max_attempts:
            row.status = "failed"
            instance = lock_instance(uow, item.instance_id)
            record_incident(
                uow.session,
                instance,
                "notification" if item.kind == WEBHOOK_KIND else "service_call",
                None,
                f"{item.name} failed after {item.attempts} attempt(s): {error}",
                now,
                outbox_id=item.id,
            )
        else:
            backoff = svc.settings.outbox_backoff_seconds * (2 ** (item.attempts - 1))
            row.next_attempt_at = now + timedelta(seconds=backoff)
        uow.commit()
