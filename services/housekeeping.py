"""Housekeeping the worker does on its own: sign-in records and sessions that have served their purpose.

- Web sessions past their absolute or idle limit. Sign-in already refuses them and deletes them one
  user at a time; without this sweep, sessions of people who never came back would stay for ever.
- Sign-in attempts older than `sign_in_log_days` (default 90: long enough to investigate an attack,
  short enough not to become a record of who worked when). Each user's latest successful sign-in is
  kept whatever its age: the admin page shows it ("last signed in"), and it resets the failure count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import aliased

from services.context import Services
from services.uow import UnitOfWork
from store.models import LoginAttempt, WebSession


@dataclass(frozen=True)
class Swept:
    sessions: int
    sign_in_attempts: int


def sweep(svc: Services) -> Swept:
    now = svc.now()
    idle_cut = now - timedelta(minutes=svc.settings.session_idle_minutes)
    log_cut = now - timedelta(days=svc.settings.sign_in_log_days)
    later = aliased(LoginAttempt)
    latest_success = (
        select(func.max(later.at))
        .where(later.username == LoginAttempt.username, later.succeeded.is_(True))
        .scalar_subquery()
    )
    with UnitOfWork(svc.sessions, write=True) as uow:
        sessions = uow.session.execute(
            delete(WebSession).where(or_(WebSession.expires_at <= now, WebSession.last_seen_at <= idle_cut))
        )
        attempts = uow.session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.at < log_cut,
                or_(LoginAttempt.succeeded.is_(False), LoginAttempt.at < latest_success),
            )
        )
        uow.commit()
    return Swept(sessions=_count(sessions), sign_in_attempts=_count(attempts))


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
