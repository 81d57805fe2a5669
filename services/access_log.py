"""The access log: who read which case, when, what and through which channel.

Public authorities must log every use of personal data, and "processing includes viewing" (Act
906/2019 § 17; GDPR art. 5(2), 32). So every read of case data — a case, a task (task data is case
data), a document, an export — calls `record_read` in the SAME write transaction as the read: if the
log row cannot be written, the read is not answered either. The table is append-only (database
triggers refuse UPDATE and DELETE); only a supervisor may list it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.uow import UnitOfWork
from store.models import AccessLogEntry, utcnow

Via = Literal["api", "page", "export", "cli"]
VIA_VALUES: frozenset[str] = frozenset(get_args(Via))
MAX_PER_PAGE = 500


def record_read(
    session: Session, actor: Actor, case_id: int, what: str, via: Via, *, at: datetime | None = None
) -> None:
    """Log that `actor` read `what` of case `case_id` through `via`; the caller commits with its read.
    Pass `at=svc.now()` so the entry follows the services' clock."""
    if via not in VIA_VALUES:
        raise ValueError(f"unknown access channel {via!r}")  # a programming error, not user input
    session.add(AccessLogEntry(at=at or utcnow(), username=actor.username, case_id=case_id, what=what[:200], via=via))


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


def list_access(
    svc: Services,
    actor: Actor,
    *,
    case_id: int | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 100,
) -> AccessLogPage:
    """Access-log entries, newest first, filtered by case, user and time (`since` <= at < `until`).
    Supervisor only: the log itself tells who works on which client."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may read the access log")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("bad page", {"page": f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}"})
    conditions = []
    if case_id is not None:
        conditions.append(AccessLogEntry.case_id == case_id)
    if username is not None:
        conditions.append(AccessLogEntry.username == username)
    if since is not None:
        conditions.append(AccessLogEntry.at >= since)
    if until is not None:
        conditions.append(AccessLogEntry.at < until)
    with UnitOfWork(svc.sessions) as uow:
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
