"""Disclosures: every sharing of case data outside the system, recorded on a valid legal basis.

`record_disclosure` checks the basis (processes/legal_bases.py) against the case before anything is
written, and refuses (InvalidInput, 422) when it does not hold: an unknown basis, consent missing or
withdrawn, a child-welfare notification about an adult, or more than yes/no to a referrer. The
record keeps recipient, basis, the names of the fields sent (never their values), a sealed summary,
who and when. A disclosure may be recorded `pending` (to be sent, e.g. by the outbox); withdrawing
consent (`withdraw_consent`) cancels every pending disclosure whose basis needs consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from processes.legal_bases import LEGAL_BASES
from services.access import readable_case
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.projection import audit
from services.uow import UnitOfWork
from store.models import Case, CaseProtection, Disclosure

DISCLOSE_ROLES = ("caseworker", "decider", "supervisor", "system")
MAX_FIELDS = 100


@dataclass(frozen=True)
class DisclosureInfo:
    id: int
    case_id: int
    recipient: str
    basis: str
    fields: list[str]
    status: str
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None


def info_of(row: Disclosure) -> DisclosureInfo:
    return DisclosureInfo(
        row.id,
        row.case_id,
        row.recipient,
        row.basis,
        list(row.fields or []),
        row.status,
        row.created_by,
        row.created_at,
        row.cancelled_at,
    )


def consent_stands(session: Session, case: Case) -> bool:
    """The referral's consent was given and has not been withdrawn."""
    consent = ((case.facts or {}).get("referral") or {}).get("consent") or {}
    withdrawn = session.scalar(select(CaseProtection.consent_withdrawn_at).where(CaseProtection.case_id == case.id))
    return consent.get("given") is True and withdrawn is None


def is_minor(case: Case, on: date) -> bool:
    facts = case.facts or {}
    if facts.get("is_child") is True:
        return True
    client = facts.get("client") or {}
    if client.get("birth_date"):
        born = date.fromisoformat(str(client["birth_date"]))
        return (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) < 18
    if client.get("birth_year"):
        return on.year - int(client["birth_year"]) - 1 < 18
    return False


def check_basis(session: Session, case: Case, basis: str, fields: set[str], on: date) -> None:
    """Raise InvalidInput unless `basis` allows sending `fields` of `case` on `on`."""
    rule = LEGAL_BASES.get(basis)
    if rule is None:
        raise InvalidInput("no valid legal basis", {"basis": f"one of: {', '.join(sorted(LEGAL_BASES))}"})
    if rule.needs_consent and not consent_stands(session, case):
        raise InvalidInput("no valid legal basis", {"basis": "the client's consent is missing or withdrawn"})
    if rule.minors_only and not is_minor(case, on):
        raise InvalidInput("no valid legal basis", {"basis": f"{basis} applies to minors only"})
    if rule.exact_fields is not None and fields != rule.exact_fields:
        raise InvalidInput(
            "no valid legal basis", {"fields": f"{basis} allows exactly: {', '.join(sorted(rule.exact_fields))}"}
        )


def record_disclosure(
    svc: Services,
    actor: Actor,
    case_id: int,
    recipient: str,
    basis: str,
    fields: list[str],
    payload_summary: dict[str, Any] | None = None,
    *,
    pending: bool = False,
) -> DisclosureInfo:
    """Record a disclosure after checking its legal basis; refused (InvalidInput) without one."""
    if not actor.has(*DISCLOSE_ROLES):
        raise Forbidden("you may not disclose case data")
    recipient = (recipient or "").strip()
    if not 1 <= len(recipient) <= 200:
        raise InvalidInput("name the recipient", {"recipient": "between 1 and 200 characters"})
    if not fields or len(fields) > MAX_FIELDS or any(not isinstance(f, str) or not 1 <= len(f) <= 100 for f in fields):
        raise InvalidInput("list the fields sent", {"fields": f"1 to {MAX_FIELDS} field names"})
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = readable_case(uow.session, actor, case_id, system_sees_all=True)
        check_basis(uow.session, case, basis, set(fields), now.date())
        row = Disclosure(
            case_id=case_id,
            recipient=recipient,
            basis=basis,
            fields=sorted(set(fields)),
            payload_summary=payload_summary or {},
            status="pending" if pending else "sent",
            created_by=actor.username,
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        audit(
            uow.session,
            actor=actor.username,
            action="disclosure_recorded",
            now=now,
            case_id=case_id,
            details={"disclosure_id": row.id, "basis": basis, "recipient": recipient, "status": row.status},
        )
        info = info_of(row)
        uow.commit()
        return info


def list_disclosures(svc: Services, actor: Actor, case_id: int) -> list[DisclosureInfo]:
    with UnitOfWork(svc.sessions) as uow:
        readable_case(uow.session, actor, case_id)
        rows = uow.session.scalars(
            select(Disclosure).where(Disclosure.case_id == case_id).order_by(Disclosure.created_at, Disclosure.id)
        ).all()
        return [info_of(r) for r in rows]


def withdraw_consent(svc: Services, actor: Actor, case_id: int) -> int:
    """Record the client's withdrawal of consent; cancels pending disclosures that needed it.
    Returns how many were cancelled. Caseworkers of the case and supervisors (or the system, for a
    `consent_withdrawn` message handled by a process)."""
    if not actor.has(*DISCLOSE_ROLES):
        raise Forbidden("you may not record a withdrawal of consent")
    with UnitOfWork(svc.sessions, write=True) as uow:
        readable_case(uow.session, actor, case_id, system_sees_all=True)
        cancelled = record_consent_withdrawal(uow.session, actor.username, case_id, svc.now())
        uow.commit()
        return cancelled


def record_consent_withdrawal(session: Session, username: str, case_id: int, now: datetime) -> int:
    """The withdrawal's effects inside the caller's transaction: the case is marked, and pending
    disclosures that rested on consent are cancelled. Shared by the explicit action above and by the
    `consent_withdrawn` BPMN message, so both paths leave the same record."""
    row = session.get(CaseProtection, case_id)
    if row is None:
        row = CaseProtection(case_id=case_id, restricted=False, safe_address=False, updated_by=username)
        session.add(row)
    row.consent_withdrawn_at = row.consent_withdrawn_at or now
    row.updated_by, row.updated_at = username, now
    consent_bases = [code for code, b in LEGAL_BASES.items() if b.needs_consent]
    pending = session.scalars(
        select(Disclosure).where(
            Disclosure.case_id == case_id, Disclosure.status == "pending", Disclosure.basis.in_(consent_bases)
        )
    ).all()
    for d in pending:
        d.status, d.cancelled_at, d.cancel_reason = "cancelled", now, "consent_withdrawn"
    audit(
        session,
        actor=username,
        action="consent_withdrawn",
        now=now,
        case_id=case_id,
        details={"cancelled_disclosures": [d.id for d in pending]},
    )
    return len(pending)
