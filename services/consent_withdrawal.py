"""A client withdraws consent: the caseworker's action on the case page.

The same withdrawal can arrive as the BPMN message `consent_withdrawn` through the API; both paths end
in `deliver_message`, which also marks the case and cancels consent-based disclosures. When no process
waits any more (the case is already closed), the withdrawal still matters for what may be shared, so
it is recorded on the case alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.context import Actor, Services
from services.disclosures import withdraw_consent
from services.errors import Conflict, Forbidden, InvalidInput
from services.messages import CONSENT_WITHDRAWN, deliver_message

WITHDRAWN_BY = ("client", "guardian", "representative")
WITHDRAW_ROLES = ("caseworker", "supervisor")  # the people who hold the case; intake may use the API message


@dataclass(frozen=True)
class Withdrawal:
    processes_interrupted: int  # 0 when the case had nothing running any more


def record_withdrawal(svc: Services, actor: Actor, case_id: int, withdrawn_by: str) -> Withdrawal:
    if not actor.has(*WITHDRAW_ROLES):
        raise Forbidden("you may not record a withdrawal of consent")
    if withdrawn_by not in WITHDRAWN_BY:
        raise InvalidInput("who withdrew consent?", {"withdrawn_by": "choose one of the options"})
    payload = {"withdrawn_by": withdrawn_by, "date": svc.now().date().isoformat(), "recorded_by": actor.username}
    try:
        reached = deliver_message(svc, actor, CONSENT_WITHDRAWN, payload, case_id=case_id)
    except Conflict:
        withdraw_consent(svc, actor, case_id)
        return Withdrawal(processes_interrupted=0)
    return Withdrawal(processes_interrupted=len(reached))
