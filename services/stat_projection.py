"""Keep the anonymous statistics tables in step with each case's process data.

Called after every change to an instance that belongs to a case, in the same transaction; writes
only when a counted fact changed. The statistics are then SQL aggregates over these rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from processes.statistics_facts import CaseFacts, extract_case_facts
from store.models import Case, StatDecision, StatExploitation, StatRecord

RECORD_FIELDS = (
    "received_on",
    "referrer_type",
    "client_category",
    "gender",
    "birth_year",
    "age_at_admission",
    "residence_status",
    "exploited_in",
    "admitted_on",
    "exit_on",
    "exit_reason",
)


def sync_case_row(session: Session, case_id: int, data: Mapping[str, Any], now: datetime) -> None:
    """Copy the process's view of the case (stage, exit) onto the case row, which search, the
    dashboard and retention read (retention counts from `closed_at`)."""
    case = session.get(Case, case_id)
    if case is None or case.status == "erased":
        return
    status = data.get("case_status")
    if isinstance(status, str) and status and case.status != status:
        case.status = status
    reason = data.get("exit_reason")
    if "exit_reason" in data and case.exit_reason != (reason or None):
        case.exit_reason = reason or None
    closed = data.get("closed_on") or data.get("exited_on")
    if isinstance(closed, str) and closed and case.closed_at is None:
        day = date.fromisoformat(closed[:10])
        case.closed_at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    elif not closed and case.closed_at is not None and status not in (None, "closed"):
        case.closed_at = None  # reopened, e.g. an annulled removal


def project_case_facts(session: Session, case_id: int, data: Mapping[str, Any], now: datetime) -> None:
    sync_case_row(session, case_id, data, now)
    facts = extract_case_facts(data)
    if facts is None:
        return
    record = session.scalars(select(StatRecord).where(StatRecord.case_id == case_id)).first()
    if record is None:
        record = StatRecord(case_id=case_id, nationalities=[], updated_at=now)
        session.add(record)
        session.flush()
    changed = _update_record(record, facts)
    changed |= _sync_decisions(session, record, facts)
    changed |= _sync_exploitation(session, record, facts)
    if changed:
        record.updated_at = now


def _update_record(record: StatRecord, facts: CaseFacts) -> bool:
    changed = False
    for name in RECORD_FIELDS:
        value = getattr(facts, name)
        if value is not None and getattr(record, name) != value:
            setattr(record, name, value)  # a fact once known is not forgotten by a later, emptier task
            changed = True
    if facts.exit_cleared and (record.exit_on is not None or record.exit_reason is not None):
        record.exit_on, record.exit_reason = None, None
        changed = True
    if facts.nationalities and list(facts.nationalities) != list(record.nationalities or []):
        record.nationalities = list(facts.nationalities)
        changed = True
    return changed


def _sync_decisions(session: Session, record: StatRecord, facts: CaseFacts) -> bool:
    if not facts.decisions:
        return False
    stored = {
        (d.decided_on, d.outcome)
        for d in session.scalars(select(StatDecision).where(StatDecision.record_id == record.id))
    }
    new = [d for d in facts.decisions if (d.decided_on, d.outcome) not in stored]
    for d in new:
        session.add(
            StatDecision(
                record_id=record.id, decided_on=d.decided_on, outcome=d.outcome, rejection_ground=d.rejection_ground
            )
        )
    return bool(new)


def _sync_exploitation(session: Session, record: StatRecord, facts: CaseFacts) -> bool:
    if not facts.exploitation:
        return False
    stored = sorted(
        (e.form, e.primary)
        for e in session.scalars(select(StatExploitation).where(StatExploitation.record_id == record.id))
    )
    if stored == sorted(facts.exploitation):
        return False
    session.execute(delete(StatExploitation).where(StatExploitation.record_id == record.id))
    session.add_all(StatExploitation(record_id=record.id, form=f, primary=p) for f, p in facts.exploitation)
    return True
