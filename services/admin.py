"""Administration use cases: users, their roles and team, activation, passwords; teams.

Only the `admin` role may call these. Each is one transaction and writes an audit row with the actor
"admin:<username>". Deactivating a user or resetting their password signs them out everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.projection import audit
from services.sessions import end_user_sessions, last_sign_ins
from services.uow import UnitOfWork
from services.users import MIN_PASSWORD, hash_password
from store.models import ROLES, Team, User, UserRole

MAX_PASSWORD = 1000  # argon2 takes any length; this only bounds the work a request can cause


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    team_id: int | None
    team: str | None
    active: bool
    locale: str
    last_sign_in: datetime | None


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    members: int


def _require_admin(actor: Actor) -> None:
    if not actor.has("admin"):
        raise Forbidden("only an administrator may manage users and teams")


def _who(actor: Actor) -> str:
    return f"admin:{actor.username}"


def _row(user: User, last: datetime | None) -> UserRow:
    return UserRow(
        user.id,
        user.username,
        user.display_name,
        tuple(r for r in ROLES if r in user.roles),
        user.team_id,
        user.team.name if user.team else None,
        user.active,
        user.locale,
        last,
    )


def _user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _checked_roles(roles: Iterable[str], errors: dict[str, str]) -> list[str]:
    chosen = sorted(set(roles), key=lambda r: ROLES.index(r) if r in ROLES else len(ROLES))
    if any(r not in ROLES for r in chosen):
        errors["roles"] = "Unknown role."
    elif not chosen:
        errors["roles"] = "Choose at least one role."
    return chosen


def _checked_team(uow: UnitOfWork, team_id: int | None, errors: dict[str, str]) -> int | None:
    if team_id is not None and uow.session.get(Team, team_id) is None:
        errors["team"] = "No such team."
    return team_id


def _check_password(password: str, errors: dict[str, str]) -> None:
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"At least {MIN_PASSWORD} characters."
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"At most {MAX_PASSWORD} characters."


def _check_display_name(display_name: str, errors: dict[str, str]) -> str:
    name = display_name.strip()
    if len(name) > 200:
        errors["display_name"] = "At most 200 characters."
    return name


def list_users(svc: Services, actor: Actor) -> list[UserRow]:
    """Every user, by username, with roles, team, active flag and last sign-in."""
    _require_admin(actor)
    with UnitOfWork(svc.sessions) as uow:
        users = list(uow.session.scalars(select(User).order_by(User.username)).all())
        last = last_sign_ins(uow.session, [u.username for u in users])
        return [_row(u, last.get(u.username)) for u in users]


def get_user(svc: Services, actor: Actor, user_id: int) -> UserRow:
    _require_admin(actor)
    with UnitOfWork(svc.sessions) as uow:
        user = _user(uow, user_id)
        return _row(user, last_sign_ins(uow.session, [user.username]).get(user.username))


def create_user(
    svc: Services,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    roles: Iterable[str],
    team_id: int | None,
    password: str,
) -> UserRow:
    """A new active user with an initial password (at least 12 characters)."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    username = username.strip()
    if not username or len(username) > 100 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        errors["username"] = "Use letters, digits, '.', '-' or '_' (at most 100)."
    name = _check_display_name(display_name, errors)
    chosen = _checked_roles(roles, errors)
    _check_password(password, errors)
    with UnitOfWork(svc.sessions, write=True) as uow:
        _checked_team(uow, team_id, errors)
        if "username" not in errors and uow.session.scalar(select(User.id).where(User.username == username)):
            errors["username"] = "A user with this name already exists."
        if errors:
            raise InvalidInput("the user could not be created", errors)
        user = User(
            username=username,
            display_name=name or username,
            password_hash=hash_password(password),
            team_id=team_id,
            role_rows=[UserRole(role=r) for r in chosen],
        )
        uow.session.add(user)
        uow.session.flush()
        details = {"user": username, "roles": chosen, "team_id": team_id}
        audit(uow.session, actor=_who(actor), action="user_created", now=svc.now(), details=details)
        uow.session.flush()
        uow.session.refresh(user)
        row = _row(user, None)
        uow.commit()
        return row


def update_user(
    svc: Services, actor: Actor, user_id: int, *, display_name: str, roles: Iterable[str], team_id: int | None
) -> UserRow:
    """Change a user's display name, roles and team. An admin cannot take away their own admin role."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    name = _check_display_name(display_name, errors)
    chosen = _checked_roles(roles, errors)
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = _user(uow, user_id)
        _checked_team(uow, team_id, errors)
        if user.username == actor.username and "admin" not in chosen and "roles" not in errors:
            errors["roles"] = "You cannot remove your own administrator role."
        if errors:
            raise InvalidInput("the user could not be changed", errors)
        before = {"roles": sorted(user.roles), "team_id": user.team_id, "display_name": user.display_name}
        user.display_name = name or user.username
        user.team_id = team_id
        keep = [r for r in user.role_rows if r.role in chosen]
        user.role_rows = keep + [UserRole(role=r) for r in chosen if r not in {k.role for k in keep}]
        after = {"roles": sorted(chosen), "team_id": team_id, "display_name": user.display_name}
        details = {"user": user.username, "before": before, "after": after}
        audit(uow.session, actor=_who(actor), action="user_changed", now=svc.now(), details=details)
        uow.session.flush()
        uow.session.refresh(user)
        row = _row(user, last_sign_ins(uow.session, [user.username]).get(user.username))
        uow.commit()
        return row


def set_active(svc: Services, actor: Actor, user_id: int, active: bool) -> UserRow:
    """Deactivate (signs the user out everywhere and stops their tokens) or reactivate a user."""
    _require_admin(actor)
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = _user(uow, user_id)
        if not active and user.username == actor.username:
            raise Conflict("you cannot deactivate yourself")
        user.active = active
        if not active:
            end_user_sessions(uow.session, user.id)
        action = "user_reactivated" if active else "user_deactivated"
        audit(uow.session, actor=_who(actor), action=action, now=svc.now(), details={"user": user.username})
        last = last_sign_ins(uow.session, [user.username]).get(user.username)
        uow.commit()
        return _row(user, last)


def reset_password(svc: Services, actor: Actor, user_id: int, password: str) -> None:
    """Set a new password; the user's open sessions end."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    _check_password(password, errors)
    if errors:
        raise InvalidInput("the password was not changed", errors)
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = _user(uow, user_id)
        user.password_hash = hash_password(password)
        end_user_sessions(uow.session, user.id)
        audit(uow.session, actor=_who(actor), action="password_reset", now=svc.now(), details={"user": user.username})
        uow.commit()


def list_teams(svc: Services, actor: Actor) -> list[TeamRow]:
    _require_admin(actor)
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(select(User.team_id, func.count(User.id)).group_by(User.team_id)).all()
        counts: dict[int | None, int] = dict(rows)  # type: ignore[arg-type]
        teams = uow.session.scalars(select(Team).order_by(Team.name)).all()
        return [TeamRow(t.id, t.name, counts.get(t.id, 0)) for t in teams]


def _team_name(uow: UnitOfWork, name: str, team_id: int | None) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("bad team name", {"name": "Give a name of 1 to 100 characters."})
    clash = uow.session.scalar(select(Team.id).where(Team.name == name))
    if clash is not None and clash != team_id:
        raise InvalidInput("team exists", {"name": "A team with this name already exists."})
    return name


def create_team(svc: Services, actor: Actor, name: str) -> TeamRow:
    _require_admin(actor)
    with UnitOfWork(svc.sessions, write=True) as uow:
        team = Team(name=_team_name(uow, name, None))
        uow.session.add(team)
        uow.session.flush()
        audit(uow.session, actor=_who(actor), action="team_created", now=svc.now(), details={"team": team.name})
        uow.commit()
        return TeamRow(team.id, team.name, 0)


def rename_team(svc: Services, actor: Actor, team_id: int, name: str) -> TeamRow:
    _require_admin(actor)
    with UnitOfWork(svc.sessions, write=True) as uow:
        team = uow.session.get(Team, team_id)
        if team is None:
            raise NotFound(f"no team {team_id}")
        before, team.name = team.name, _team_name(uow, name, team_id)
        details = {"before": before, "after": team.name}
        audit(uow.session, actor=_who(actor), action="team_renamed", now=svc.now(), details=details)
        members = uow.session.scalar(select(func.count(User.id)).where(User.team_id == team_id)) or 0
        uow.commit()
        return TeamRow(team.id, team.name, members)
