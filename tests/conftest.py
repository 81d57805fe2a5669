"""Shared fixtures: a migrated database per test (SQLite and PostgreSQL), a fake clock, services.

PostgreSQL is part of every run (it is the production database). Set AUTTAMO_TEST_POSTGRES=skip
only on a machine without it; CI never does.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support import FakeClock

from cli.main import migrate_database
from config import Settings
from services.context import Services
from store.crypto import generate_key

PG_URL = os.environ.get("AUTTAMO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
TEST_ENCRYPTION_KEY = generate_key()  # fresh per test run: no key is ever written into the repository


def _base_settings(url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        secret_key="test-secret-key-" + "x" * 32,
        encryption_key=TEST_ENCRYPTION_KEY,
        sqlite_synchronous="NORMAL",
        outbox_backoff_seconds=10,
        outbox_max_attempts=3,
        return_partner_url="https://partner.test/api",
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate_database(_base_settings(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    if os.environ.get("AUTTAMO_TEST_POSTGRES") == "skip":
        pytest.skip("PostgreSQL disabled by AUTTAMO_TEST_POSTGRES=skip")
    schema = f"auttamo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    migrate_database(_base_settings(url))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
                )
            )
        ]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "auttamo.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_schema")
    _truncate_pg(url)
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return _base_settings(database_url)


@pytest.fixture
def svc(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    services = Services.build(settings, clock=clock)
    yield services
    services.close()
