"""Deliver BPMN messages to the instances waiting for them (found through the subscription table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import MessageNotExpected, ScriptError, StateUnstorable
from services.access import readable_case
from services.context import Actor, Services
from services.disclosures import record_consent_withdrawal
from services.errors import Conflict, Forbidden
from services.projection import audit
from services.runtime import lock_instance, restore, run_and_save
from services.uow import UnitOfWork
from store.models import MessageSubscription

MESSAGE_ROLES = ("intake", "caseworker", "decider", "supervisor", "system")

# Messages whose meaning reaches past the processes: the case record changes with them, in the same
# transaction, however the message arrived (API, caseworker action, another process).
CONSENT_WITHDRAWN = "consent_withdrawn"


def _matches(subscribed: dict[str, Any], given: dict[str, Any] | None) -> bool:
    """A message with correlation values reaches only instances whose correlations agree."""
    if not given:
        return True
    for key, props in given.items():
        mine = subscribed.get(key)
        if mine and any(mine.get(p) not in (None, v) for p, v in (props or {}).items()):
            return False
    return True


def deliver_message(
    svc: Services,
    actor: Actor,
    name: str,
    payload: Any = None,
    *,
    case_id: int | None = None,
    instance_id: int | None = None,
    correlations: dict[str, Any] | None = None,
) -> list[int]:
    """Deliver `name` to every instance (of the case, or the given instance) waiting for it.
    Returns the instance ids reached; Conflict when nothing waits for it."""
    if not actor.has(*MESSAGE_ROLES):
        raise Forbidden("you may not send messages to cases")
    with UnitOfWork(svc.sessions, write=True) as uow:
        if case_id is not None:
            readable_case(uow.session, actor, case_id, system_sees_all=True)
        query = select(MessageSubscription).where(MessageSubscription.message_name == name)
        if case_id is not None:
            query = query.where(MessageSubscription.case_id == case_id)
        if instance_id is not None:
            query = query.where(MessageSubscription.instance_id == instance_id)
        subs = [s for s in uow.session.scalars(query).all() if _matches(s.correlations, correlations)]
        reached: list[int] = []
        unstorable: list[int] = []
        on_hold: list[int] = []
        for inst_id in sorted({s.instance_id for s in subs}):
            row = lock_instance(uow, inst_id)
            if row.status == "suspended":  # a supervisor holds it: nothing may move it on until resumed
                on_hold.append(inst_id)
                continue
            engine_instance = restore(svc, uow, row)
            try:
                outcome, _opened = run_and_save(
                    svc,
                    uow,
                    row,
                    engine_instance,
                    lambda inst: inst.deliver_message(name, payload, correlations),
                    actor=actor.username,
                )
            except MessageNotExpected:
                continue  # the subscription was stale; the projection fixes it on the next save
            if isinstance(outcome, StateUnstorable):  # nothing of it kept; the instance has an incident
                unstorable.append(inst_id)
                continue
            audit(
                uow.session,
                actor=actor.username,
                action="message_delivered",
                now=svc.now(),
                row=row,
                details={"message": name, "script_error": str(outcome) if isinstance(outcome, ScriptError) else None},
            )
            reached.append(inst_id)
        if not reached and not unstorable and not on_hold:
            raise Conflict(f"no process is waiting for the message {name!r}")
        if name == CONSENT_WITHDRAWN:  # a fact about the client, whatever the processes could keep of it
            tried = set(reached) | set(unstorable) | set(on_hold)
            for reached_case in sorted({s.case_id for s in subs if s.instance_id in tried and s.case_id}):
                record_consent_withdrawal(uow.session, actor.username, reached_case, svc.now())
        uow.commit()  # the incidents too, when the message could not be kept
        if not reached and on_hold:
            raise Conflict(
                f"the process waiting for {name!r} is suspended: once a supervisor resumes it, send the message again"
            )
        if not reached:
            raise Conflict(
                f"the message {name!r} could not be kept: the process's data would become too large to store; "
                "a supervisor sees the incident"
            )
        return reached
