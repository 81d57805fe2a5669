"""A short-lived cache of bearer token -> actor, so an API request does not pay three queries to learn
who is calling.

Staleness accepted, and why: an entry lives `TTL_SECONDS` (5 s). In this process it is dropped at once
when a transaction that changed a user, a role or a token commits (session events below: the admin
pages, the CLI and revocation all go through the ORM, and a bulk UPDATE/DELETE of those tables counts
too). Another server process learns of the change only when its entry expires: for at most 5 s a
deactivated user's token, or a role just taken away, still works there. That is the same order as a
request already in flight when the change is made, and much shorter than any sign-out a person would
notice; in return the token costs one dictionary lookup instead of three round trips per request.
Unknown or revoked tokens are never cached (each try goes to the database), so a wrong token gains
nothing from the cache, and the cache is bounded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from store.models import ApiToken, User, UserRole

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000
_WATCHED = (User, UserRole, ApiToken)
_WATCHED_TABLES = frozenset(m.__table__.name for m in _WATCHED)  # type: ignore[attr-defined]
_CHANGED = "auttamo_people_changed"  # Session.info flag: this transaction changed a watched row
Actor = TypeVar("Actor")  # services.context.Actor (that module builds the cache, so it cannot be imported here)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCache(Generic[Actor]):
    """Token digest -> (actor, expiry). Thread-safe; `generation` guards against caching a read that
    raced with a change: a reader takes the generation before it queries and `put` refuses the entry
    if a change committed in between."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.generation = 0
        self._entries: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Actor | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] <= self.clock():
            with self._lock:
                self._entries.pop(digest, None)
            return None
        return entry[0]

    def put(self, digest: str, actor: Actor, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return  # a user, role or token changed while this was read: do not keep it
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (actor, self.clock() + self.ttl)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Clear the cache whenever a transaction from `sessions` that changed users, roles or tokens commits."""
        event.listen(sessions, "after_flush", _note_flush)
        event.listen(sessions, "do_orm_execute", _note_bulk)
        event.listen(sessions, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            self.clear()


def _note_flush(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _WATCHED) for obj in touched):
        session.info[_CHANGED] = True


def _note_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED_TABLES:
        state.session.info[_CHANGED] = True
