"""Alembic environment. The CLI passes a live connection in `config.attributes["connection"]`;
run standalone (`alembic upgrade head`), it reads DATABASE_URL through our Settings."""

from __future__ import annotations

from alembic import context

from config import Settings
from store.db import make_engine
from store.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as conn:
        _run(conn)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
