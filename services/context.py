"""The assembled application: settings, database, engine, clock. Built by the app factory or CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from engine import WorkflowEngine
from processes.script_helpers import SCRIPT_HELPERS
from processes.service_calls import SERVICE_HANDLERS, ServiceHandler
from services.token_cache import TokenCache
from services.versions import VersionCache
from store import crypto
from store.db import make_engine, make_session_factory
from store.models import utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in person, an API client, or the system itself."""

    username: str
    roles: frozenset[str] = frozenset()
    team_id: int | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


SYSTEM = Actor("system", frozenset({"system"}))
# Whoever sends the public referral form (/refer): anonymous, so one system actor with only the
# `referrer` role, like a partner system posting to /api/v1/referrals; the case's creator and the
# audit name it, and the client_case process is started by SYSTEM (services.referrals).
PUBLIC_REFERRER = Actor("public-referral-form", frozenset({"referrer"}))


@dataclass
class Services:
    settings: Settings
    db: Engine
    sessions: sessionmaker[Session]
    engine: WorkflowEngine
    clock: Callable[[], datetime] = utcnow
    handlers: dict[str, ServiceHandler] = field(default_factory=lambda: dict(SERVICE_HANDLERS))
    http_transport: httpx.BaseTransport | None = None  # tests inject httpx.MockTransport here
    versions: VersionCache = field(default_factory=VersionCache)
    tokens: TokenCache[Actor] = field(default_factory=TokenCache)  # bearer token -> actor, for seconds

    def __post_init__(self) -> None:
        self.tokens.watch(self.sessions)  # a committed change to users, roles or tokens empties it

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        http_transport: httpx.BaseTransport | None = None,
    ) -> Services:
        if settings.encryption_key:
            crypto.configure(crypto.KeyRing.from_texts(settings.encryption_key, settings.encryption_old_keys))
        db = make_engine(settings.database_url, synchronous=settings.sqlite_synchronous)
        engine = WorkflowEngine(helpers=SCRIPT_HELPERS, script_time_limit=settings.script_time_limit, clock=clock)
        return cls(settings, db, make_session_factory(db), engine, clock=clock, http_transport=http_transport)

    def http_client(self) -> httpx.Client:
        return httpx.Client(timeout=self.settings.http_timeout_seconds, transport=self.http_transport)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.db.dispose()
