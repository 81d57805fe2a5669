"""Signed-in browser sessions and sign-in rate limiting.

The cookie carries a random token; the `web_session` row stores only its sha256, the user, a CSRF
token, and the two limits: idle (last_seen_at + idle minutes) and absolute (expires_at). Every sign-in
creates a new row (no session fixation); sign-out and deactivation delete rows. Failed sign-ins are
`login_attempt` rows, counted per username and per client address over a sliding window.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from services.context import Actor, Services
from services.errors import ServiceError, Unauthenticated
from services.uow import UnitOfWork
from services.users import actor_of, authenticate_password
from store.models import LoginAttempt, User, UserRole, WebSession

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often, to spare writes


class TooManyAttempts(ServiceError):
    """Too many failed sign-ins for this username or address; `wait_minutes` until the next try."""

    def __init__(self, wait_minutes: int) -> None:
        super().__init__(f"too many failed sign-ins; wait {wait_minutes} minutes")
        self.wait_minutes = wait_minutes


@dataclass(frozen=True)
class SessionInfo:
    """A live session, as the web layer needs it on every request."""

    session_id: int
    actor: Actor
    csrf_token: str
    display_name: str
    locale: str


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie value: shown once, only its hash is stored
    session: SessionInfo


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: WebSession, user: User) -> SessionInfo:
    return SessionInfo(row.id, actor_of(user), row.csrf_token, user.display_name or user.username, user.locale)


def sign_in(
    svc: Services,
    username: str,
    password: str,
    *,
    address: str,
    user_agent: str = "",
    replaces: str | None = None,
) -> SignedIn:
    """Check the rate limit and the password, then open a NEW session (and drop `replaces`, the old cookie's)."""
    username, address = username.strip()[:100], address[:64]
    wait = _wait_minutes(svc, username, address)
    if wait:
        raise TooManyAttempts(wait)
    try:
        authenticate_password(svc, username, password)
    except Unauthenticated:
        with UnitOfWork(svc.sessions, write=True) as uow:
            uow.session.add(LoginAttempt(username=username, address=address, at=svc.now(), succeeded=False))
            uow.commit()
        raise
    now = svc.now()
    token = secrets.token_urlsafe(32)
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).one()
        if replaces:
            uow.session.execute(delete(WebSession).where(WebSession.token_sha256 == digest(replaces)))
        _drop_expired(uow.session, svc, user.id, now)
        row = WebSession(
            token_sha256=digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=svc.settings.session_absolute_hours),
            user_agent=user_agent[:300],
        )
        uow.session.add(row)
        uow.session.add(LoginAttempt(username=username, address=address, at=now, succeeded=True))
        uow.session.flush()
        info = _info(row, user)
        uow.commit()
    return SignedIn(token, info)


def _wait_minutes(svc: Services, username: str, address: str) -> int:
    """0 if a sign-in may be tried now, else whole minutes until the oldest counted failure leaves the window."""
    s = svc.settings
    now = svc.now()
    window = timedelta(minutes=s.login_window_minutes)
    since = now - window
    with UnitOfWork(svc.sessions) as uow:
        last_ok = uow.session.scalar(
            select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.succeeded)
        )
        user_since = max(since, last_ok) if last_ok is not None else since  # a success resets the count
        checks = (
            (LoginAttempt.username == username, user_since, s.login_max_failures_per_user),
            (LoginAttempt.address == address, since, s.login_max_failures_per_address),
        )
        waits = [0.0]
        for condition, start, limit in checks:
            times = uow.session.scalars(
                select(LoginAttempt.at)
                .where(condition, LoginAttempt.at > start, LoginAttempt.succeeded.is_(False))
                .order_by(LoginAttempt.at)
            ).all()
            if limit > 0 and len(times) >= limit:
                frees_at = times[len(times) - limit] + window
                waits.append((frees_at - now).total_seconds())
    return max(1, math.ceil(max(waits) / 60)) if max(waits) > 0 else 0


def _expired(svc: Services, row: Any, now: datetime) -> bool:
    """`row` has the session's expires_at and last_seen_at (a WebSession or a row of them)."""
    idle = timedelta(minutes=svc.settings.session_idle_minutes)
    return bool(now >= row.expires_at or now >= row.last_seen_at + idle)


def _drop_expired(session: Session, svc: Services, user_id: int, now: datetime) -> None:
    idle_cut = now - timedelta(minutes=svc.settings.session_idle_minutes)
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user_id, (WebSession.expires_at <= now) | (WebSession.last_seen_at <= idle_cut)
        )
    )


def resolve_session(svc: Services, token: str) -> SessionInfo | None:
    """The live session for a cookie token, or None (unknown, expired or the user deactivated).
    An expired session's row is deleted; a live one's last_seen_at is moved on (at most once a minute)."""
    if not token or len(token) > 200:
        return None
    now = svc.now()
    with UnitOfWork(svc.sessions) as uow:  # one round trip: the session, its user, one row per role
        rows = uow.session.execute(
            select(
                WebSession.id,
                WebSession.csrf_token,
                WebSession.last_seen_at,
                WebSession.expires_at,
                User.username,
                User.team_id,
                User.active,
                User.display_name,
                User.locale,
                UserRole.role,
            )
            .join(User, User.id == WebSession.user_id)
            .outerjoin(UserRole, UserRole.user_id == User.id)
            .where(WebSession.token_sha256 == digest(token))
        ).all()
    if not rows:
        return None
    row = rows[0]
    dead = _expired(svc, row, now) or not row.active
    touch = not dead and now - row.last_seen_at >= TOUCH_EVERY
    row_id = row.id
    info = None
    if not dead:
        actor = Actor(row.username, frozenset(r.role for r in rows if r.role is not None), row.team_id)
        info = SessionInfo(row.id, actor, row.csrf_token, row.display_name or row.username, row.locale)
    if dead or touch:
        with UnitOfWork(svc.sessions, write=True) as uow:
            if dead:
                uow.session.execute(delete(WebSession).where(WebSession.id == row_id))
            else:
                uow.session.execute(update(WebSession).where(WebSession.id == row_id).values(last_seen_at=now))
            uow.commit()
    return info


def sign_out(svc: Services, token: str) -> None:
    """Delete the session of this cookie token (nothing happens if there is none)."""
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.execute(delete(WebSession).where(WebSession.token_sha256 == digest(token)))
        uow.commit()


def end_user_sessions(session: Session, user_id: int) -> None:
    """Inside an open unit of work: sign the user out everywhere (deactivation, password reset)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def last_sign_ins(session: Session, usernames: list[str]) -> dict[str, datetime]:
    """Inside an open unit of work: each user's last successful sign-in."""
    if not usernames:
        return {}
    rows = session.execute(
        select(LoginAttempt.username, func.max(LoginAttempt.at))
        .where(LoginAttempt.username.in_(usernames), LoginAttempt.succeeded)
        .group_by(LoginAttempt.username)
    ).all()
    return {name: at for name, at in rows if at is not None}
