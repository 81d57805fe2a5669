"""Users, roles, teams, passwords (argon2) and bearer tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from services.context import Actor, Services
from services.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from services.token_cache import token_digest
from services.uow import UnitOfWork
from store.models import ROLES, ApiToken, Team, User, UserRole

_hasher = PasswordHasher()
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def actor_of(user: User) -> Actor:
    return Actor(user.username, user.roles, user.team_id)


def _team(uow: UnitOfWork, name: str | None) -> Team | None:
    if not name:
        return None
    team = uow.session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        uow.session.add(team)
        uow.session.flush()
    return team


def add_user(
    svc: Services,
    username: str,
    roles: Iterable[str],
    *,
    password: str | None,
    team: str | None = None,
    display_name: str = "",
) -> Actor:
    """Create a user (the CLI and the admin page use this)."""
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput(
            "unknown role", {"role": f"Unknown role(s): {', '.join(unknown)}; known: {', '.join(ROLES)}"}
        )
    if not username or len(username) > 100 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise InvalidInput("bad username", {"username": "Use letters, digits, '.', '-' or '_' (at most 100)."})
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput("weak password", {"password": f"At least {MIN_PASSWORD} characters."})
    with UnitOfWork(svc.sessions, write=True) as uow:
        if uow.session.scalars(select(User).where(User.username == username)).first() is not None:
            raise Conflict(f"a user named {username} already exists")
        t = _team(uow, team)
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password) if password else None,
            team_id=t.id if t else None,
            role_rows=[UserRole(role=r) for r in roles],
        )
        uow.session.add(user)
        uow.commit()
        return actor_of(user)


def issue_token(svc: Services, username: str) -> str:
    """A new bearer token for `username`; only its hash is stored, so print it now or never."""
    token = "aut_" + secrets.token_urlsafe(32)
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"no user {username}")
        uow.session.add(ApiToken(user_id=user.id, token_sha256=token_digest(token), created_at=svc.now()))
        uow.commit()
    return token


def cached_token_actor(svc: Services, token: str) -> Actor | None:
    """The actor of a token resolved in the last few seconds (services.token_cache), without the database."""
    return svc.tokens.get(token_digest(token))


def authenticate_token(svc: Services, token: str) -> Actor:
    """The token's actor, from the cache or the database; Unauthenticated if unknown, revoked or its user inactive."""
    digest = token_digest(token)
    cached = svc.tokens.get(digest)
    if cached is not None:
        return cached
    generation = svc.tokens.generation  # taken before the read: a change committed meanwhile voids it
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.scalars(select(ApiToken).where(ApiToken.token_sha256 == digest)).first()
        if row is None or row.revoked_at is not None or not row.user.active:
            raise Unauthenticated("invalid or revoked token")
        actor = actor_of(row.user)
    svc.tokens.put(digest, actor, generation)
    return actor


def authenticate_password(svc: Services, username: str, password: str) -> Actor:
    with UnitOfWork(svc.sessions) as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or not user.password_hash:
            _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
            raise Unauthenticated("wrong username or password")
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError) as exc:
            raise Unauthenticated("wrong username or password") from exc
        return actor_of(user)


LOCALES = ("fi", "en")


def set_locale(svc: Services, username: str, locale: str) -> None:
    """Remember a person's language choice (the UI's default for their next sign-in)."""
    if locale not in LOCALES:
        raise InvalidInput("unknown language", {"lang": f"Choose one of {', '.join(LOCALES)}."})
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"no user {username}")
        user.locale = locale
        uow.commit()


def active_users_with_roles(svc: Services, roles: Iterable[str]) -> list[tuple[str, str]]:
    """(username, display name) of active users holding any of `roles`, by username (e.g. for assigning)."""
    wanted = sorted(set(roles))
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(
            select(User.username, User.display_name)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active, UserRole.role.in_(wanted))
            .distinct()
            .order_by(User.username)
        ).all()
        return [(name, display or name) for name, display in rows]
