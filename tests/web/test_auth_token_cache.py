"""The bearer-token cache (services/token_cache.py): a committed change to a user, their roles, their
team or their token takes effect on the very next request in this process; another process sees it
when its entry expires (TTL), never later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.admin import set_active, update_user
from services.context import Actor, Services
from services.errors import Unauthenticated
from services.token_cache import TTL_SECONDS, TokenCache, token_digest
from services.uow import UnitOfWork
from services.users import add_user, authenticate_token, cached_token_actor, issue_token
from store.models import ApiToken, User
from web.app import create_app

ADMIN = Actor("adam", frozenset({"admin"}))


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker(svc: Services) -> Ticker:
    clock = Ticker()
    svc.tokens.clock = clock
    return clock


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


def _user_id(svc: Services, username: str) -> int:
    with UnitOfWork(svc.sessions) as uow:
        found = uow.session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def _carl(svc: Services) -> str:
    add_user(svc, "carl", ["caseworker"], password=None, team="A")
    return issue_token(svc, "carl")


def test_a_resolved_token_is_served_from_the_cache(svc: Services, ticker: Ticker) -> None:
    token = _carl(svc)
    assert cached_token_actor(svc, token) is None
    first = authenticate_token(svc, token)
    assert first.username == "carl" and first.roles == {"caseworker"}
    assert cached_token_actor(svc, token) == first
    ticker.now += TTL_SECONDS  # expired: the next call reads the database again
    assert cached_token_actor(svc, token) is None
    assert authenticate_token(svc, token) == first
    with pytest.raises(Unauthenticated):
        authenticate_token(svc, "aut_not-a-token")
    assert cached_token_actor(svc, "aut_not-a-token") is None  # failures are never cached


def test_deactivation_stops_a_cached_token_at_once(svc: Services, client: TestClient, ticker: Ticker) -> None:
    headers = {"Authorization": f"Bearer {_carl(svc)}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200  # now cached
    set_active(svc, ADMIN, _user_id(svc, "carl"), False)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401  # no TTL wait
    set_active(svc, ADMIN, _user_id(svc, "carl"), True)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200


def test_role_and_team_changes_apply_to_the_next_request(svc: Services, ticker: Ticker) -> None:
    token = _carl(svc)
    before = authenticate_token(svc, token)
    add_user(svc, "other", ["caseworker"], password=None, team="B")  # creates team B
    b_team = authenticate_token(svc, issue_token(svc, "other")).team_id
    update_user(svc, ADMIN, _user_id(svc, "carl"), display_name="Carl", roles=["decider"], team_id=b_team)
    after = authenticate_token(svc, token)
    assert after.roles == {"decider"} and after.team_id == b_team != before.team_id


def test_revocation_and_bulk_updates_empty_the_cache(svc: Services, ticker: Ticker) -> None:
    token = _carl(svc)
    authenticate_token(svc, token)
    with UnitOfWork(svc.sessions, write=True) as uow:  # a revoked token (ORM change to the row)
        row = uow.session.scalars(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token))).one()
        row.revoked_at = svc.now()
        uow.commit()
    with pytest.raises(Unauthenticated):
        authenticate_token(svc, token)

    second = issue_token(svc, "carl")
    authenticate_token(svc, second)
    with UnitOfWork(svc.sessions, write=True) as uow:  # a bulk UPDATE, as a script or the CLI might
        uow.session.execute(update(User).where(User.username == "carl").values(active=False))
        uow.commit()
    assert cached_token_actor(svc, second) is None
    with pytest.raises(Unauthenticated):
        authenticate_token(svc, second)


def test_a_rolled_back_change_keeps_the_cache(svc: Services, ticker: Ticker) -> None:
    token = _carl(svc)
    authenticate_token(svc, token)
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.execute(update(User).where(User.username == "carl").values(active=False))
    assert cached_token_actor(svc, token) is not None  # nothing changed: no reason to forget


def test_another_process_sees_a_change_within_the_ttl(svc: Services, ticker: Ticker) -> None:
    """The accepted staleness: a second Services (another server process) keeps its entry until it expires."""
    token = _carl(svc)
    other = Services.build(svc.settings)
    try:
        other.tokens.clock = ticker
        assert authenticate_token(other, token).username == "carl"
        set_active(svc, ADMIN, _user_id(svc, "carl"), False)  # committed through the first process
        with pytest.raises(Unauthenticated):
            authenticate_token(svc, token)
        assert authenticate_token(other, token).username == "carl"  # stale, for at most TTL_SECONDS
        ticker.now += TTL_SECONDS
        with pytest.raises(Unauthenticated):
            authenticate_token(other, token)
    finally:
        other.close()


def test_a_read_that_raced_with_a_change_is_not_kept() -> None:
    cache: TokenCache[str] = TokenCache(clock=lambda: 0.0)
    generation = cache.generation  # a reader starts ...
    cache.clear()  # ... a change commits ...
    cache.put("digest", "old actor", generation)  # ... and the reader's result is refused
    assert cache.get("digest") is None
    cache.put("digest", "new actor", cache.generation)
    assert cache.get("digest") == "new actor"
