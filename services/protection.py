"""Restricted cases, named users, break-the-glass, safe addresses and duplicate search by keyed hash.

- **Restricted case**: a supervisor marks it; from then on only its named users (table `case_access`,
  kind `named`) see it: it drops out of team inboxes and searches, supervisors included
  (services/access.py). Marking, naming and un-naming are supervisor actions, audited.
- **Break the glass**: a supervisor who is not named may still open a restricted case by stating a
  reason (at least `MIN_REASON` characters). That gives a grant for `BREAK_GLASS_HOURS` hours and
  writes an access-log row flagged for review with the reason; every read under the grant is
  flagged as well (services/access_log.record_read).
- **Safe address**: the client's whereabouts and every contact that could lead to them are hidden
  from everyone but the case's named users, at every read point (case overview, task data and
  instructions, data-subject export): `redact_for` is the one function they call. Which keys count
  as "address and contacts" is `SAFE_ADDRESS_KEYS`, applied at any depth of a JSON document: in the
  referral document that is `reception_centre` and the referrer's `phone` and `email` (a shelter
  worker's number leads to the shelter); in forms any address, accommodation or contact field.
- **Duplicate search**: at referral, keyed hashes (store/crypto.py `keyed_hash`) of the normalised
  name, the birth date (or year), both together and each nationality are stored in `case_search_key`; intake finds
  earlier cases of the same person by hash, with no name in clear anywhere in the database. The
  hash key derives from the current encryption key: after `auttamo keys rotate` run
  `rebuild_search_keys` (the old hashes no longer match).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.access import CASE_ROLES, is_named, is_restricted, require_case_access
from services.access_log import Via, record_read
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput, NotFound
from services.projection import audit
from services.uow import UnitOfWork
from store import crypto
from store.models import Case, CaseAccess, CaseProtection, CaseSearchKey, User, utcnow

MIN_REASON = 10
MAX_REASON = 500
BREAK_GLASS_HOURS = 4
REDACTED = "[hidden: safe address]"
SAFE_ADDRESS_KEYS = frozenset(
    {
        "address",
        "street_address",
        "postal_address",
        "postal_code",
        "home_address",
        "current_address",
        "accommodation",
        "accommodation_address",
        "safe_house",
        "reception_centre",
        "location",
        "phone",
        "email",
        "contact",
        "contacts",
        "provider_contact",
    }
)
DUPLICATE_ROLES = ("intake", "supervisor")


@dataclass(frozen=True)
class ProtectionState:
    case_id: int
    restricted: bool
    safe_address: bool
    named_users: list[str]


@dataclass(frozen=True)
class DuplicateRef:
    case_id: int
    reference: str
    matched: list[str]  # kinds of key that matched: name, birth, name_birth


# --- redaction ----------------------------------------------------------------------------------------


def redact(value: Any) -> Any:
    """`value` with every address or contact field (at any depth) replaced by a placeholder."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if k in SAFE_ADDRESS_KEYS and v not in (None, "", [], {}) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def hides_address(session: Session, actor: Actor, case_id: int | None) -> bool:
    """True when the case has a safe address and `actor` is not one of its named users."""
    if case_id is None:
        return False
    flag = session.scalar(select(CaseProtection.safe_address).where(CaseProtection.case_id == case_id))
    return bool(flag) and not is_named(session, actor.username, case_id)


def redact_for(session: Session, actor: Actor, case_id: int | None, value: Any) -> Any:
    """The one redaction point: `value` as `actor` may see it for case `case_id`."""
    return redact(value) if hides_address(session, actor, case_id) else value


# --- flags and named users ----------------------------------------------------------------------------


def _supervisor(actor: Actor) -> None:
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may change who sees a case")


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def _protection(session: Session, case_id: int, actor: Actor, now: Any) -> CaseProtection:
    row = session.get(CaseProtection, case_id)
    if row is None:
        row = CaseProtection(case_id=case_id, restricted=False, safe_address=False, updated_by=actor.username)
        session.add(row)
    row.updated_by, row.updated_at = actor.username, now
    return row


def _named(session: Session, case_id: int) -> list[str]:
    return sorted(
        session.scalars(
            select(CaseAccess.username).where(CaseAccess.case_id == case_id, CaseAccess.kind == "named")
        ).all()
    )


def _add_named(session: Session, case_id: int, username: str, actor: Actor, now: Any) -> None:
    if session.scalar(select(User.id).where(User.username == username)) is None:
        raise InvalidInput("unknown user", {"username": f"no user {username!r}"})
    exists = session.scalar(
        select(CaseAccess.id).where(
            CaseAccess.case_id == case_id, CaseAccess.username == username, CaseAccess.kind == "named"
        )
    )
    if exists is None:
        session.add(
            CaseAccess(case_id=case_id, username=username, kind="named", granted_by=actor.username, granted_at=now)
        )


def state_of(session: Session, case_id: int) -> ProtectionState:
    row = session.get(CaseProtection, case_id)
    return ProtectionState(
        case_id,
        bool(row and row.restricted),
        bool(row and row.safe_address),
        _named(session, case_id),
    )


def protection_state(svc: Services, actor: Actor, case_id: int) -> ProtectionState:
    """The flags and named users of a case: its named users and supervisors (who manage them)."""
    with UnitOfWork(svc.sessions) as uow:
        case = _case(uow.session, case_id)
        if not actor.has("supervisor"):
            require_case_access(uow.session, actor, case)
        return state_of(uow.session, case_id)


def set_flags(
    svc: Services,
    actor: Actor,
    case_id: int,
    *,
    restricted: bool | None = None,
    safe_address: bool | None = None,
    named: list[str] | None = None,
) -> ProtectionState:
    """Mark or unmark a case restricted and/or safe-address, naming users; supervisor only, audited.
    Restricting a case with no named user names the supervisor, so someone can still open it."""
    _supervisor(actor)
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        _case(uow.session, case_id)
        row = _protection(uow.session, case_id, actor, now)
        if restricted is not None:
            row.restricted = restricted
        if safe_address is not None:
            row.safe_address = safe_address
        for username in named or []:
            _add_named(uow.session, case_id, username, actor, now)
        uow.session.flush()
        if row.restricted and not _named(uow.session, case_id):
            _add_named(uow.session, case_id, actor.username, actor, now)
        uow.session.flush()
        state = state_of(uow.session, case_id)
        audit(
            uow.session,
            actor=actor.username,
            action="case_protection_changed",
            now=now,
            case_id=case_id,
            details={"restricted": state.restricted, "safe_address": state.safe_address, "named": state.named_users},
        )
        uow.commit()
        return state


def grant(svc: Services, actor: Actor, case_id: int, username: str) -> ProtectionState:
    return set_flags(svc, actor, case_id, named=[username])


def revoke(svc: Services, actor: Actor, case_id: int, username: str) -> ProtectionState:
    """Un-name a user (supervisor only, audited)."""
    _supervisor(actor)
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        _case(uow.session, case_id)
        uow.session.execute(
            delete(CaseAccess).where(
                CaseAccess.case_id == case_id, CaseAccess.username == username, CaseAccess.kind == "named"
            )
        )
        audit(
            uow.session,
            actor=actor.username,
            action="case_access_revoked",
            now=now,
            case_id=case_id,
            details={"username": username},
        )
        state = state_of(uow.session, case_id)
        uow.commit()
        return state


def break_glass(svc: Services, actor: Actor, case_id: int, reason: str, *, via: Via) -> None:
    """A supervisor opens a restricted case for `BREAK_GLASS_HOURS` hours, stating why; the access is
    logged flagged for review (with the reason) and audited."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may break the glass")
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise InvalidInput("state a reason", {"reason": f"between {MIN_REASON} and {MAX_REASON} characters"})
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        _case(uow.session, case_id)
        uow.session.execute(
            delete(CaseAccess).where(
                CaseAccess.case_id == case_id, CaseAccess.username == actor.username, CaseAccess.kind == "break_glass"
            )
        )
        uow.session.add(
            CaseAccess(
                case_id=case_id,
                username=actor.username,
                kind="break_glass",
                granted_by=actor.username,
                granted_at=now,
                expires_at=utcnow() + timedelta(hours=BREAK_GLASS_HOURS),  # wall clock: a real limit
                reason=reason,
            )
        )
        record_read(uow.session, actor, case_id, "break the glass", via, at=now, flagged=True, reason=reason)
        audit(
            uow.session,
            actor=actor.username,
            action="break_glass",
            now=now,
            case_id=case_id,
            details={"hours": BREAK_GLASS_HOURS, "restricted": is_restricted(uow.session, case_id)},
        )
        uow.commit()


# --- duplicate search ---------------------------------------------------------------------------------


def _norm(text: Any) -> str:
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in plain.casefold()).split())


def search_values(client: dict[str, Any]) -> dict[str, str]:
    """Normalised identity values by kind (only the kinds the client data allows)."""
    name = " ".join(p for p in (_norm(client.get("family_name")), _norm(client.get("given_names"))) if p)
    birth = str(client.get("birth_date") or client.get("birth_year") or "").strip()
    values: dict[str, str] = {}
    if name:
        values["name"] = name
    if birth:
        values["birth"] = birth
    if name and birth:
        values["name_birth"] = f"{name}|{birth}"
    return values


def nationality_hashes(client: dict[str, Any]) -> set[str]:
    """Keyed hashes of the client's known nationalities ("unknown" matches nothing). The value is
    prefixed so that a nationality's hash can never equal a name's."""
    codes = [str(c).strip().upper() for c in client.get("nationalities") or [] if str(c).strip().lower() != "unknown"]
    return set(crypto.keyed_hashes({code: f"nationality|{code}" for code in codes}).values())


def add_search_keys(session: Session, case_id: int, client: dict[str, Any]) -> None:
    """Store the keyed hashes of a case's client (called in the referral's transaction)."""
    for kind, digest in crypto.keyed_hashes(search_values(client)).items():
        session.add(CaseSearchKey(case_id=case_id, kind=kind, hash=digest))
    for digest in nationality_hashes(client):
        session.add(CaseSearchKey(case_id=case_id, kind="nationality", hash=digest))


def rebuild_search_keys(svc: Services) -> int:
    """Recompute every case's search keys under the current key (after a key rotation)."""
    count = 0
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.execute(delete(CaseSearchKey))
        for case in uow.session.scalars(select(Case)).all():
            client = (case.facts or {}).get("client")
            if isinstance(client, dict):
                add_search_keys(uow.session, case.id, client)
                count += 1
        uow.commit()
    return count


def find_duplicates(svc: Services, actor: Actor, client: dict[str, Any], via: Via = "api") -> list[DuplicateRef]:
    """Earlier cases of the same person by keyed hash: name and birth together, or name alone.
    Intake and supervisors; restricted cases appear only to their named users. The answer reveals
    that a person is a client, so each case found is written to the access log."""
    if not actor.has(*DUPLICATE_ROLES):
        raise Forbidden("only intake may search for duplicates")
    hashes = crypto.keyed_hashes(search_values(client))
    wanted = {k: h for k, h in hashes.items() if k in ("name", "name_birth")}
    if not wanted:
        return []
    found: dict[int, set[str]] = {}
    with UnitOfWork(svc.sessions, write=True) as uow:
        for kind, digest in wanted.items():
            for case_id in uow.session.scalars(
                select(CaseSearchKey.case_id).where(CaseSearchKey.kind == kind, CaseSearchKey.hash == digest)
            ):
                found.setdefault(case_id, set()).add(kind)
        refs: list[DuplicateRef] = []
        for case_id, kinds in sorted(found.items()):
            if is_restricted(uow.session, case_id) and not is_named(uow.session, actor.username, case_id):
                continue
            case = uow.session.get(Case, case_id)
            if case is not None and actor.roles & CASE_ROLES:
                refs.append(DuplicateRef(case_id, case.reference, sorted(kinds)))
                record_read(uow.session, actor, case_id, "duplicate search: reference", via, at=svc.now())
        uow.commit()
    return refs
