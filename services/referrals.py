"""Receive a referral: create the client's case and start its process (`client_case`), in one transaction.

Anyone may refer a person, but only with the person's consent (the document's model refuses a
referral without it). The referrer learns only the case id and reference: everything else about the
case is need-to-know. Only intake may back-date `received_at` (a phone referral registered later);
for everyone else the moment of receipt is now, so a partner system cannot move a case's dates.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from processes.referral_document import ReferralDocument
from services.access import CASE_ROLES
from services.context import SYSTEM, Actor, Services
from services.deploy import latest_version_id
from services.errors import Conflict, Forbidden, InvalidInput
from services.instances import start_in
from services.projection import audit
from services.protection import add_search_keys
from services.referrer_channels import ChannelSpec, record_channel
from services.uow import UnitOfWork
from store.models import Case

REFERRAL_ROLES = ("referrer", "intake", "supervisor")
# A referral starts the client's top-level process, which calls `referral` first; where only the
# `referral` process is deployed (an early set-up or a test), that one is started on its own.
CASE_PROCESSES = ("client_case", "referral")
REFERENCE_PREFIX = "AUT"
REFERENCE_ATTEMPTS = 5
REFERENCE_LOCK_KEY = 0x41555452_0000  # 'AUTR' + the year: the advisory lock of one year's sequence


class ReferralReceipt(NamedTuple):
    case_id: int
    reference: str


def parse_referral(values: Any) -> ReferralDocument:
    """Validate a referral document from JSON values; InvalidInput names each bad field (dotted path)."""
    try:
        return ReferralDocument.model_validate(values)
    except ValidationError as exc:
        errors = {".".join(str(p) for p in err["loc"]) or "": err["msg"] for err in exc.errors()}
        raise InvalidInput("the referral is not valid", errors) from exc


def submit_referral(
    svc: Services, actor: Actor, doc: ReferralDocument, *, channel: ChannelSpec | None = None
) -> ReferralReceipt:
    """Create the case (status `referral`, no team yet) and start the latest `client_case` (or `referral`)
    process if one is deployed. `channel`: how the referrer hears the outcome (services.referrer_channels),
    recorded in the same transaction."""
    if not actor.has(*REFERRAL_ROLES):
        raise Forbidden("you may not submit referrals")
    now = svc.now()
    received_at = now
    if doc.received_at is not None and actor.has("intake"):
        if doc.received_at > now:
            raise InvalidInput("received in the future", {"received_at": "cannot be in the future"})
        received_at = doc.received_at
    birth = doc.client.birth_date
    if birth is not None and birth > received_at.date():
        raise InvalidInput("born after the referral", {"client.birth_date": "cannot be after the referral date"})
    is_child = doc.is_child(received_at)
    urgent = doc.urgent or is_child
    document = doc.as_json()
    document["received_at"] = received_at.isoformat()
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = Case(
            reference="",
            team_id=None,
            status="referral",
            facts={
                "referral": document,
                "client": document["client"],
                "received_at": received_at.isoformat(),
                "urgent": urgent,
                "is_child": is_child,
            },
            opened_at=now,
            created_by=actor.username,
        )
        _insert_with_reference(uow, case, now.year)
        if channel is not None:
            record_channel(uow.session, case.reference, channel, now)
        add_search_keys(uow.session, case.id, document["client"])  # keyed hashes for duplicate search
        audit(
            uow.session,
            actor=actor.username,
            action="referral_received",
            now=now,
            case_id=case.id,
            details={
                "referrer_type": doc.referrer.type,
                "urgent": urgent,
                "received_at": received_at.isoformat(),
                "back_dated": received_at != now,
            },
        )
        version_id = next((v for p in CASE_PROCESSES if (v := latest_version_id(uow, p)) is not None), None)
        if version_id is not None:
            # A referrer starts nothing in its own name: a lane-less task would otherwise go to the starter.
            starter = actor if actor.roles & CASE_ROLES else SYSTEM
            data = {
                "case_id": case.id,
                "case_reference": case.reference,
                "referral": document,
                "urgent": urgent,
                "is_child": is_child,
            }
            start_in(uow, svc, starter, svc.versions.get(uow.session, version_id), data, case_id=case.id)
        uow.commit()
        return ReferralReceipt(case.id, case.reference)


def _insert_with_reference(uow: UnitOfWork, case: Case, year: int) -> None:
    """Give `case` the next reference of the year (AUT-2026-000123) and insert it.

    The number is the year's highest plus one, read inside the write transaction. SQLite serialises
    writers (BEGIN IMMEDIATE), so it cannot collide there. On PostgreSQL concurrent referrals would
    read the same highest number, so they first take a transaction-scoped advisory lock for the
    year: they queue for it until the holder commits, then read its number. Referrals are few, so
    the wait is short. Should a case still arrive by another path with the same number, the unique
    index refuses it and the insert is retried in a savepoint, keeping the rest of the transaction."""
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFERENCE_LOCK_KEY + year})
    for _attempt in range(REFERENCE_ATTEMPTS):
        highest = uow.session.scalar(select(func.max(Case.reference)).where(Case.reference.like(prefix + "%")))
        number = int(highest.rsplit("-", 1)[1]) + 1 if highest else 1
        case.reference = f"{prefix}{number:06d}"
        try:
            with uow.session.begin_nested():
                uow.session.add(case)
                uow.session.flush()
            return
        except IntegrityError:
            continue
    raise Conflict("could not allocate a case reference; try again")
