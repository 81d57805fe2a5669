"""The access log: who read which case, when, what and through which channel.

Public authorities must log every use of personal data, and "processing includes viewing" (Act
906/2019 § 17; GDPR art. 5(2), 32). So every read of case data — a case, a task (task data is case
data), a document, an export — calls `record_read` in the SAME write transaction as the read: if the
log row cannot be written, the read is not answered either. The table is append-only (database
triggers refuse UPDATE and DELETE); only a supervisor may list it.

The viewer filters by case (id or reference), user and period, exports the matching entries as
CSV (e.g. for a data subject's request; the export itself is audited), and flags unusual access:
one user reading more than `threshold` distinct cases within `window_minutes` minutes. Defaults:
UNUSUAL_THRESHOLD = 20 cases in UNUSUAL_WINDOW_MINUTES = 10 minutes, over the last
UNUSUAL_LOOKBACK_DAYS = 7 days; the viewer's query string overrides each (`threshold`, `window`).
"""

from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.projection import audit
from services.uow import UnitOfWork
from store.models import AccessLogEntry, Case, CaseAccess, utcnow

Via = Literal["api", "page", "export", "cli"]
VIA_VALUES: frozenset[str] = frozenset(get_args(Via))
MAX_PER_PAGE = 500
MAX_EXPORT_ROWS = 100_000
UNUSUAL_THRESHOLD = 20
UNUSUAL_WINDOW_MINUTES = 10
UNUSUAL_LOOKBACK_DAYS = 7
MAX_SCANNED = 200_000  # entries examined for unusual access at most (newest first)


def record_read(
    session: Session,
    actor: Actor,
    case_id: int,
    what: str,
    via: Via,
    *,
    at: datetime | None = None,
    flagged: bool = False,
    reason: str | None = None,
) -> None:
    """Log that `actor` read `what` of case `case_id` through `via`; the caller commits with its read.
    Pass `at=svc.now()` so the entry follows the services' clock. A read under a break-the-glass
    grant (services/protection.py) is flagged for review with the grant's reason, whoever the caller."""
    if via not in VIA_VALUES:
        raise ValueError(f"unknown access channel {via!r}")  # a programming error, not user input
    if not flagged:
        glass = session.scalar(
            select(CaseAccess.reason).where(
                CaseAccess.case_id == case_id,
                CaseAccess.username == actor.username,
                CaseAccess.kind == "break_glass",
                CaseAccess.expires_at > utcnow(),
            )
        )
        if glass is not None:
            flagged, reason = True, reason or glass
    session.add(
        AccessLogEntry(
            at=at or utcnow(),
            username=actor.username,
            case_id=case_id,
            what=what[:200],
            via=via,
            flagged=flagged,
            reason=reason[:500] if reason else None,
        )
    )


@dataclass(frozen=True)
class AccessEntry:
    id: int
    at: datetime
    username: str
    case_id: int
    what: str
    via: str


@dataclass(frozen=True)
class AccessLogPage:
    entries: list[AccessEntry]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class UnusualAccess:
    username: str
    first_at: datetime
    last_at: datetime
    cases: int  # distinct cases read within the window


def _require(actor: Actor) -> None:
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may read the access log")


def _conditions(
    s: Session,
    case_id: int | None,
    case_reference: str | None,
    username: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Any] | None:
    """The filter; None when the case reference names no case (nothing can match)."""
    conditions: list[Any] = []
    if case_reference is not None:
        found = s.scalar(select(Case.id).where(Case.reference == case_reference.strip().upper()))
        if found is None:
            return None
        conditions.append(AccessLogEntry.case_id == found)
    if case_id is not None:
        conditions.append(AccessLogEntry.case_id == case_id)
    if username is not None:
        conditions.append(AccessLogEntry.username == username)
    if since is not None:
        conditions.append(AccessLogEntry.at >= since)
    if until is not None:
        conditions.append(AccessLogEntry.at < until)
    return conditions


def list_access(
    svc: Services,
    actor: Actor,
    *,
    case_id: int | None = None,
    case_reference: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 100,
) -> AccessLogPage:
    """Access-log entries, newest first, filtered by case, user and time (`since` <= at < `until`).
    Supervisor only: the log itself tells who works on which client."""
    _require(actor)
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("bad page", {"page": f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}"})
    with UnitOfWork(svc.sessions) as uow:
        conditions = _conditions(uow.session, case_id, case_reference, username, since, until)
        if conditions is None:
            return AccessLogPage([], 0, page, per_page)
        total = uow.session.scalar(select(func.count(AccessLogEntry.id)).where(*conditions)) or 0
        rows = uow.session.scalars(
            select(AccessLogEntry)
            .where(*conditions)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        entries = [AccessEntry(r.id, r.at, r.username, r.case_id, r.what, r.via) for r in rows]
    return AccessLogPage(entries, total, page, per_page)


def export_access(
    svc: Services,
    actor: Actor,
    *,
    case_id: int | None = None,
    case_reference: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """The matching entries as CSV, oldest first (for a data subject's request); the export is audited."""
    _require(actor)
    now = svc.now()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_utc", "user", "case_id", "case_reference", "what", "channel"])
    with UnitOfWork(svc.sessions, write=True) as uow:
        conditions = _conditions(uow.session, case_id, case_reference, username, since, until)
        count = 0
        if conditions is not None:
            rows = uow.session.execute(
                select(AccessLogEntry, Case.reference)
                .outerjoin(Case, Case.id == AccessLogEntry.case_id)
                .where(*conditions)
                .order_by(AccessLogEntry.at, AccessLogEntry.id)
                .limit(MAX_EXPORT_ROWS)
            ).all()
            for entry, reference in rows:
                writer.writerow(
                    [entry.at.isoformat(), entry.username, entry.case_id, reference or "", entry.what, entry.via]
                )
            count = len(rows)
        filters = {
            "case_id": case_id,
            "case_reference": case_reference,
            "username": username,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        }
        audit(
            uow.session,
            actor=actor.username,
            action="access_log_exported",
            now=now,
            case_id=case_id,
            details={"rows": count, **{k: v for k, v in filters.items() if v is not None}},
        )
        uow.commit()
    return out.getvalue()


def unusual_access(
    svc: Services,
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    threshold: int = UNUSUAL_THRESHOLD,
    window_minutes: int = UNUSUAL_WINDOW_MINUTES,
) -> list[UnusualAccess]:
    """Users who read more than `threshold` distinct cases within `window_minutes` (default: the
    last 7 days); one flag per burst, the burst's busiest window counted."""
    _require(actor)
    if not 1 <= threshold <= 10_000 or not 1 <= window_minutes <= 24 * 60:
        raise InvalidInput(
            "bad limits", {"threshold": "between 1 and 10000 cases", "window": "between 1 and 1440 minutes"}
        )
    since = since or (until or svc.now()) - timedelta(days=UNUSUAL_LOOKBACK_DAYS)
    window = timedelta(minutes=window_minutes)
    period = [AccessLogEntry.at >= since] + ([AccessLogEntry.at < until] if until is not None else [])
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(
            select(AccessLogEntry.username, AccessLogEntry.at, AccessLogEntry.case_id)
            .where(*period)
            .order_by(AccessLogEntry.username, AccessLogEntry.at, AccessLogEntry.id)
            .limit(MAX_SCANNED)
        ).all()
    flags: list[UnusualAccess] = []
    current: str | None = None
    recent: deque[tuple[datetime, int]] = deque()
    counts: dict[int, int] = {}
    burst: UnusualAccess | None = None
    for username, at, case_id in rows:
        if username != current:
            if burst is not None:
                flags.append(burst)
            current, burst = username, None
            recent.clear()
            counts.clear()
        recent.append((at, case_id))
        counts[case_id] = counts.get(case_id, 0) + 1
        while recent and recent[0][0] <= at - window:
            _old_at, old_case = recent.popleft()
            counts[old_case] -= 1
            if counts[old_case] == 0:
                del counts[old_case]
        if len(counts) > threshold:
            first = recent[0][0]
            if burst is not None and first <= burst.last_at:
                burst = UnusualAccess(username, burst.first_at, at, max(burst.cases, len(counts)))
            else:
                if burst is not None:
                    flags.append(burst)
                burst = UnusualAccess(username, first, at, len(counts))
    if burst is not None:
        flags.append(burst)
    return sorted(flags, key=lambda f: f.first_at, reverse=True)
