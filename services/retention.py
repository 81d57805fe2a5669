"""Retention and erasure with proof: legal holds, a preview, the erasure job, and its daily run.

When a case's retention period (processes/retention_rules.py) has run from the end of the client
relationship, and no appeal, prosecution or legal hold is on, the job erases the case's personal
data in one transaction per case:

- deleted: process instances with their tasks (and drafts), message subscriptions, incidents,
  migrations and outbox rows; documents; search keys; named users and break-the-glass grants;
- emptied: the case's facts (the row keeps id and reference, status `erased`), disclosure
  summaries, the reasons of released holds; audit details are re-sealed as `{"erased": true}`
  (the only UPDATE the append-only audit table permits);
- kept: the access log (who read which case id: no client data), disclosure records (recipient,
  basis, field names), and the anonymous statistics facts, unlinked from the case
  (`stat_record.case_id` NULL), so past years' statistics stay identical.

Each erasure writes an `erasure_record` (case id, rule, dates, row counts: no personal data) and
an audit event. `run_daily_erasure` is the worker's entry: at most once per calendar day (UTC),
claimed by inserting the day's `retention_run` row, so two workers never both run it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from processes.retention_rules import HOLD_KINDS, RETENTION_RULES, RetentionRule
from services.access import readable_case, require_case_access
from services.context import SYSTEM, Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.projection import audit
from services.uow import UnitOfWork
from store import crypto
from store.models import (
    AuditEvent,
    Case,
    CaseAccess,
    CaseSearchKey,
    Disclosure,
    Document,
    ErasureRecord,
    HumanTask,
    Incident,
    InstanceMigration,
    LegalHold,
    MessageSubscription,
    OutboxItem,
    ProcessInstance,
    ReferrerChannel,
    ReferrerNotification,
    RetentionRun,
    StatRecord,
)

log = logging.getLogger("auttamo.retention")
RULE: RetentionRule = RETENTION_RULES["client_case"]
PREVIEW_ROLES = ("admin", "supervisor")
HOLD_ROLES = ("supervisor", "decider")
MAX_BATCH = 500


@dataclass(frozen=True)
class ErasureCandidate:
    case_id: int
    reference: str
    rule: str
    relationship_ended_on: date
    due_on: date


@dataclass(frozen=True)
class HoldInfo:
    id: int
    case_id: int
    kind: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _candidates(session: Session, today: date, limit: int = MAX_BATCH) -> list[ErasureCandidate]:
    """Cases due for erasure on `today`, with no active hold, oldest first."""
    held = select(LegalHold.case_id).where(LegalHold.released_at.is_(None))
    rows = session.execute(
        select(Case.id, Case.reference, Case.closed_at, StatRecord.exit_on)
        .outerjoin(StatRecord, StatRecord.case_id == Case.id)
        .where(
            Case.status != "erased",
            (Case.closed_at.is_not(None)) | (StatRecord.exit_on.is_not(None)),
            Case.id.not_in(held),
        )
        .order_by(Case.id)
    ).all()
    found: list[ErasureCandidate] = []
    for case_id, reference, closed_at, exit_on in rows:
        ended = closed_at.date() if closed_at is not None else exit_on
        if ended is None:
            continue
        due = _add_years(ended, RULE.years)
        if due <= today:
            found.append(ErasureCandidate(case_id, reference, RULE.code, ended, due))
            if len(found) >= limit:
                break
    return found


def preview(svc: Services, actor: Actor) -> list[ErasureCandidate]:
    """What the next run will erase (admins and supervisors)."""
    if not actor.has(*PREVIEW_ROLES):
        raise Forbidden("only an administrator may preview erasure")
    with UnitOfWork(svc.sessions) as uow:
        return _candidates(uow.session, svc.now().date())


def _erase_case(session: Session, case: Case, candidate: ErasureCandidate, actor: Actor, now: datetime) -> None:
    instance_ids = list(session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id)))
    of_instances = ProcessInstance.id.in_(instance_ids)
    counts: dict[str, int] = {}

    def gone(name: str, statement: Any) -> None:
        counts[name] = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    gone("document", delete(Document).where(Document.case_id == case.id))
    if instance_ids:
        gone("incident", delete(Incident).where(Incident.instance_id.in_(instance_ids)))
        gone("outbox", delete(OutboxItem).where(OutboxItem.instance_id.in_(instance_ids)))
        gone(
            "message_subscription", delete(MessageSubscription).where(MessageSubscription.instance_id.in_(instance_ids))
        )
        gone("instance_migration", delete(InstanceMigration).where(InstanceMigration.instance_id.in_(instance_ids)))
    gone("human_task", delete(HumanTask).where(HumanTask.case_id == case.id))
    if instance_ids:
        session.execute(delete(HumanTask).where(HumanTask.instance_id.in_(instance_ids)))
        gone("process_instance", delete(ProcessInstance).where(of_instances))
    gone("case_search_key", delete(CaseSearchKey).where(CaseSearchKey.case_id == case.id))
    gone("case_access", delete(CaseAccess).where(CaseAccess.case_id == case.id))
    # How the referrer heard back: a callback address names the referrer's organisation and the
    # status page would still confirm that this reference was a referral; neither outlives the case.
    gone("referrer_channel", delete(ReferrerChannel).where(ReferrerChannel.reference == case.reference))
    gone("referrer_notification", delete(ReferrerNotification).where(ReferrerNotification.reference == case.reference))
    session.execute(update(Disclosure).where(Disclosure.case_id == case.id).values(payload_summary={}))
    session.execute(update(LegalHold).where(LegalHold.case_id == case.id).values(reason=""))
    if crypto.ring() is not None:  # the audit table accepts only a sealed value as its one permitted change
        audit_rows = (AuditEvent.case_id == case.id) | (AuditEvent.instance_id.in_(instance_ids))
        gone("audit_details", update(AuditEvent).where(audit_rows).values(details={"erased": True}))
    session.execute(update(StatRecord).where(StatRecord.case_id == case.id).values(case_id=None))
    case.facts = {}
    case.status = "erased"
    session.add(
        ErasureRecord(
            case_id=case.id,
            rule=candidate.rule,
            relationship_ended_on=candidate.relationship_ended_on,
            due_on=candidate.due_on,
            erased_at=now,
            erased_by=actor.username,
            counts=counts,
        )
    )
    session.flush()
    audit(
        session,
        actor=actor.username,
        action="personal_data_erased",
        now=now,
        case_id=case.id,
        details={"rule": candidate.rule, "counts": counts},
    )


def run_erasure(svc: Services, actor: Actor = SYSTEM) -> list[int]:
    """Erase every case due today; returns the erased case ids. Admin (CLI) or the system (worker)."""
    if not actor.has("admin", "system"):
        raise Forbidden("only an administrator or the worker may run erasure")
    now = svc.now()
    with UnitOfWork(svc.sessions) as uow:
        due = _candidates(uow.session, now.date())
    erased: list[int] = []
    for candidate in due:
        with UnitOfWork(svc.sessions, write=True) as uow:
            case = uow.session.get(Case, candidate.case_id)
            held = uow.session.scalar(
                select(func.count(LegalHold.id)).where(
                    LegalHold.case_id == candidate.case_id, LegalHold.released_at.is_(None)
                )
            )
            if case is None or case.status == "erased" or held:
                continue  # changed since the list was read
            _erase_case(uow.session, case, candidate, actor, now)
            uow.commit()
        erased.append(candidate.case_id)
        log.info("erased the personal data of case id %d under rule %s", candidate.case_id, candidate.rule)
    return erased


def run_daily_erasure(svc: Services) -> int | None:
    """The worker's hook: run erasure once per UTC day; None when today's run was already claimed."""
    today = svc.now().date()
    with UnitOfWork(svc.sessions, write=True) as uow:
        if uow.session.scalar(select(RetentionRun.id).where(RetentionRun.run_on == today)) is not None:
            return None
        uow.session.add(RetentionRun(run_on=today, started_at=svc.now(), erased=0))
        try:
            uow.commit()
        except IntegrityError:
            return None  # another worker claimed today
    erased = run_erasure(svc, SYSTEM)
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.execute(update(RetentionRun).where(RetentionRun.run_on == today).values(erased=len(erased)))
        uow.commit()
    return len(erased)


# --- legal holds ----------------------------------------------------------------------------------------


def place_hold(svc: Services, actor: Actor, case_id: int, kind: str, reason: str) -> HoldInfo:
    """Put a hold on a case's erasure (supervisor or decider with access to the case)."""
    if not actor.has(*HOLD_ROLES):
        raise Forbidden("you may not place a legal hold")
    if kind not in HOLD_KINDS:
        raise InvalidInput("unknown hold", {"kind": f"one of: {', '.join(HOLD_KINDS)}"})
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 500:
        raise InvalidInput("state a reason", {"reason": "between 3 and 500 characters"})
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = readable_case(uow.session, actor, case_id)
        if case.status == "erased":
            raise Conflict("this case's personal data has been erased already")
        row = LegalHold(case_id=case_id, kind=kind, reason=reason, placed_by=actor.username, placed_at=now)
        uow.session.add(row)
        uow.session.flush()
        audit(
            uow.session,
            actor=actor.username,
            action="legal_hold_placed",
            now=now,
            case_id=case_id,
            details={"hold_id": row.id, "kind": kind},
        )
        info = HoldInfo(row.id, case_id, kind, row.placed_by, row.placed_at, None)
        uow.commit()
        return info


def release_hold(svc: Services, actor: Actor, hold_id: int) -> HoldInfo:
    if not actor.has(*HOLD_ROLES):
        raise Forbidden("you may not release a legal hold")
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.get(LegalHold, hold_id)
        if row is None:
            raise NotFound(f"no hold {hold_id}")
        case = uow.session.get(Case, row.case_id)
        assert case is not None  # foreign key
        require_case_access(uow.session, actor, case)
        if row.released_at is None:
            row.released_at, row.released_by = now, actor.username
            audit(
                uow.session,
                actor=actor.username,
                action="legal_hold_released",
                now=now,
                case_id=row.case_id,
                details={"hold_id": row.id, "kind": row.kind},
            )
        info = HoldInfo(row.id, row.case_id, row.kind, row.placed_by, row.placed_at, row.released_at)
        uow.commit()
        return info
