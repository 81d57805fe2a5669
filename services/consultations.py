"""The anonymous-consultation log: a referrer asks by phone for advice about a possible case.

Nothing identifying is kept, by construction: the date (no time of day: a time plus a referrer type
could point at the caller), the referrer type, the topic and the outcome, all codes of
processes/codelists.json, and the staff member who took the call. There is no free-text field at all.

Who may do what:
- record: intake and caseworkers (whoever answers the hotline);
- list: intake and supervisors see every entry of a period; a caseworker sees the entries they recorded;
- correct or delete: the recorder within `CORRECTION_HOURS` of recording, a supervisor at any time;
  both are audited with the old and new codes (codes identify no one).

The yearly counts feed the annual statistics (services/statistics.py, section
`anonymous_consultations`). A consultation is neither a person nor a case: it never counts as an
application.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from processes.codelists import CodeSetName, codelists
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput, NotFound
from services.projection import audit
from services.uow import UnitOfWork
from store.models import Consultation

RECORD_ROLES = ("intake", "caseworker")
LIST_ALL_ROLES = ("intake", "supervisor")
CORRECTION_HOURS = 24
MAX_LIST = 500
EARLIEST = date(2000, 1, 1)
FIELDS: dict[str, CodeSetName] = {
    "referrer_type": "referrer_type",
    "topic": "consultation_topic",
    "outcome": "consultation_outcome",
}


@dataclass(frozen=True)
class ConsultationInput:
    consulted_on: date | None
    referrer_type: str
    topic: str
    outcome: str


@dataclass(frozen=True)
class ConsultationView:
    id: int
    consulted_on: date
    referrer_type: str
    topic: str
    outcome: str
    recorded_by: str
    recorded_at: datetime
    editable: bool  # whether the reader may still correct or delete it


def _may_change(actor: Actor, row: Consultation, now: datetime) -> bool:
    if actor.has("supervisor"):
        return True
    return row.recorded_by == actor.username and now - row.recorded_at <= timedelta(hours=CORRECTION_HOURS)


def _view(actor: Actor, row: Consultation, now: datetime) -> ConsultationView:
    return ConsultationView(
        row.id,
        row.consulted_on,
        row.referrer_type,
        row.topic,
        row.outcome,
        row.recorded_by,
        row.recorded_at,
        _may_change(actor, row, now),
    )


def _validate(entry: ConsultationInput, today: date) -> date:
    """The day of the consultation (today when not given); InvalidInput names each bad field."""
    errors: dict[str, str] = {}
    for name, code_list in FIELDS.items():
        value = getattr(entry, name)
        if not value:
            errors[name] = "Choose a value."
        elif value not in codelists()[code_list]:
            errors[name] = f"Unknown code {str(value)[:40]!r}."
    day = entry.consulted_on or today
    if day > today:
        errors["consulted_on"] = "The date cannot be in the future."
    elif day < EARLIEST:
        errors["consulted_on"] = f"The date cannot be before {EARLIEST.isoformat()}."
    if errors:
        raise InvalidInput("the consultation is not valid", errors)
    return day


def _codes(row: Consultation) -> dict[str, Any]:
    return {
        "consulted_on": row.consulted_on.isoformat(),
        "referrer_type": row.referrer_type,
        "topic": row.topic,
        "outcome": row.outcome,
    }


def record_consultation(svc: Services, actor: Actor, entry: ConsultationInput) -> ConsultationView:
    """Log one anonymous consultation (intake, caseworker)."""
    if not actor.has(*RECORD_ROLES):
        raise Forbidden("only intake and caseworkers record consultations")
    now = svc.now()
    day = _validate(entry, now.date())
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = Consultation(
            consulted_on=day,
            referrer_type=entry.referrer_type,
            topic=entry.topic,
            outcome=entry.outcome,
            recorded_by=actor.username,
            recorded_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        audit(uow.session, actor=actor.username, action="consultation_recorded", now=now, details={"id": row.id})
        uow.commit()
        return _view(actor, row, now)


def list_consultations(
    svc: Services, actor: Actor, *, start: date | None = None, end: date | None = None, limit: int = 100
) -> list[ConsultationView]:
    """Entries of the period [start, end] (both optional), newest first."""
    if not actor.has(*LIST_ALL_ROLES, *RECORD_ROLES):
        raise Forbidden("you may not read the consultation log")
    if start is not None and end is not None and start > end:
        raise InvalidInput("the period is empty", {"start": "The start is after the end."})
    query = select(Consultation)
    if start is not None:
        query = query.where(Consultation.consulted_on >= start)
    if end is not None:
        query = query.where(Consultation.consulted_on <= end)
    if not actor.has(*LIST_ALL_ROLES):
        query = query.where(Consultation.recorded_by == actor.username)
    query = query.order_by(Consultation.consulted_on.desc(), Consultation.id.desc()).limit(max(1, min(limit, MAX_LIST)))
    now = svc.now()
    with UnitOfWork(svc.sessions) as uow:
        return [_view(actor, row, now) for row in uow.session.scalars(query)]


def _visible(uow: UnitOfWork, actor: Actor, consultation_id: int) -> Consultation:
    row = uow.session.get(Consultation, consultation_id)
    if row is None or not (actor.has(*LIST_ALL_ROLES) or row.recorded_by == actor.username):
        raise NotFound(f"no consultation {consultation_id}")
    return row


def get_consultation(svc: Services, actor: Actor, consultation_id: int) -> ConsultationView:
    """One entry the actor may read (NotFound otherwise)."""
    with UnitOfWork(svc.sessions) as uow:
        return _view(actor, _visible(uow, actor, consultation_id), svc.now())


def _changeable(uow: UnitOfWork, actor: Actor, consultation_id: int, now: datetime) -> Consultation:
    row = _visible(uow, actor, consultation_id)
    if not _may_change(actor, row, now):
        raise Forbidden(f"only a supervisor may change an entry more than {CORRECTION_HOURS} hours old")
    return row


def correct_consultation(
    svc: Services, actor: Actor, consultation_id: int, entry: ConsultationInput
) -> ConsultationView:
    """Replace an entry's codes and date (the recorder within the window, or a supervisor); audited."""
    now = svc.now()
    day = _validate(entry, now.date())
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _changeable(uow, actor, consultation_id, now)
        before = _codes(row)
        row.consulted_on = day
        row.referrer_type, row.topic, row.outcome = entry.referrer_type, entry.topic, entry.outcome
        audit(
            uow.session,
            actor=actor.username,
            action="consultation_corrected",
            now=now,
            details={"id": row.id, "before": before, "after": _codes(row)},
        )
        uow.commit()
        return _view(actor, row, now)


def delete_consultation(svc: Services, actor: Actor, consultation_id: int) -> None:
    """Remove an entry recorded by mistake (the recorder within the window, or a supervisor); audited."""
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = _changeable(uow, actor, consultation_id, now)
        details = {"id": row.id, "before": _codes(row)}
        uow.session.delete(row)
        audit(uow.session, actor=actor.username, action="consultation_deleted", now=now, details=details)
        uow.commit()


def yearly_counts(session: Session, year: int) -> dict[str, Any]:
    """The statistics section `anonymous_consultations` for `year` (inside the caller's transaction)."""
    rows = session.execute(
        select(Consultation.referrer_type, Consultation.topic, Consultation.outcome).where(
            and_(Consultation.consulted_on >= date(year, 1, 1), Consultation.consulted_on < date(year + 1, 1, 1))
        )
    ).all()

    def by(index: int, code_list: CodeSetName) -> dict[str, int]:
        counts = Counter(r[index] for r in rows)  # every stored code is one of the list's (checked on entry)
        return {code: counts.get(code, 0) for code in codelists()[code_list]}

    return {
        "total": len(rows),
        "by_referrer_type": by(0, "referrer_type"),
        "by_topic": by(1, "consultation_topic"),
        "by_outcome": by(2, "consultation_outcome"),
    }
