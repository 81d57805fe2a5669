"""Database engine and session factory, built on demand (never at import time).

SQLite gets the settings a durable single-machine database needs: WAL, synchronous=FULL, foreign
keys, a busy timeout, and `BEGIN IMMEDIATE` for write transactions. The last one matters: in WAL
mode a read transaction that later tries to write after another connection committed fails at
once with "database is locked" (SQLITE_BUSY_SNAPSHOT), and the busy timeout cannot help it.
Taking the write lock at BEGIN makes writers queue on the busy timeout instead.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("auttamo_write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 30_000


@contextlib.contextmanager
def write_intent() -> Iterator[None]:
    """Mark the transactions begun inside as writers (BEGIN IMMEDIATE on SQLite)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, echo: bool = False, synchronous: str = "FULL") -> Engine:
    """Create the engine for `url`; creates the SQLite file's folder if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _configure_sqlite(engine, synchronous)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "postgresql":
        parsed = without_jit(parsed)
    # hide_parameters: an error's log line must not carry client data from the statement's values
    return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def without_jit(url: URL) -> URL:
    """The URL with `-c jit=off` added to the connection's startup options (unless it sets jit itself).

    PostgreSQL compiles a statement to machine code when its estimated cost passes jit_above_cost
    (100,000). This application's statements are short lookups whose *estimates* can pass that on big
    tables even when they read a few thousand rows: the inbox's team view over 1M task rows spent tens
    of milliseconds compiling for a query that runs in a few. Reports that would profit run seconds,
    not milliseconds, and gain little on this data; so it is off for every connection. A startup option
    costs no round trip."""
    options = url.query.get("options", "")
    existing = options if isinstance(options, str) else " ".join(options)
    if "jit" in existing:
        return url
    return url.update_query_dict({"options": f"{existing} -c jit=off".strip()})


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
