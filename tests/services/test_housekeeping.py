"""The worker's housekeeping: expired sessions go, old sign-in records go, each user's last success stays."""

from __future__ import annotations

from sqlalchemy import select
from support import FakeClock

from services.context import Services
from services.errors import Unauthenticated
from services.housekeeping import sweep
from services.sessions import last_sign_ins, resolve_session, sign_in
from services.uow import UnitOfWork
from services.users import add_user
from store.models import LoginAttempt, WebSession

PASSWORD = "correct horse battery staple"


def _attempts(svc: Services) -> list[tuple[str, bool]]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(
            select(LoginAttempt.username, LoginAttempt.succeeded).order_by(LoginAttempt.id)
        ).all()
        return [(name, bool(ok)) for name, ok in rows]


def _sessions(svc: Services) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return len(uow.session.scalars(select(WebSession.id)).all())


def _fail(svc: Services, name: str) -> None:
    try:
        sign_in(svc, name, "wrong password", address="192.0.2.1")
    except Unauthenticated:
        return
    raise AssertionError("a wrong password signed in")


def test_sweep_keeps_what_is_live_and_each_users_last_success(svc: Services, clock: FakeClock) -> None:
    add_user(svc, "carl", ["caseworker"], password=PASSWORD)
    add_user(svc, "sue", ["supervisor"], password=PASSWORD)
    sign_in(svc, "carl", PASSWORD, address="192.0.2.1")  # carl's old success, later superseded
    _fail(svc, "carl")
    sign_in(svc, "sue", PASSWORD, address="192.0.2.2")  # sue never comes back: her only success
    clock.advance(days=100)
    sign_in(svc, "carl", PASSWORD, address="192.0.2.1")
    live = sign_in(svc, "carl", PASSWORD, address="192.0.2.1")
    assert _sessions(svc) == 3  # signing in dropped carl's own expired session, not sue's

    swept = sweep(svc)

    assert (swept.sessions, swept.sign_in_attempts) == (1, 2)  # sue's expired session; carl's old rows
    assert _attempts(svc) == [("sue", True), ("carl", True), ("carl", True)]
    assert resolve_session(svc, live.token) is not None  # a live session is untouched
    with UnitOfWork(svc.sessions) as uow:
        assert set(last_sign_ins(uow.session, ["carl", "sue"])) == {"carl", "sue"}
    assert sweep(svc) == type(swept)(0, 0)  # nothing left to do


def test_idle_sessions_are_swept_too(svc: Services, clock: FakeClock) -> None:
    add_user(svc, "carl", ["caseworker"], password=PASSWORD)
    sign_in(svc, "carl", PASSWORD, address="192.0.2.1")
    clock.advance(minutes=svc.settings.session_idle_minutes - 1)
    assert sweep(svc).sessions == 0
    clock.advance(minutes=2)
    assert sweep(svc).sessions == 1 and _sessions(svc) == 0
