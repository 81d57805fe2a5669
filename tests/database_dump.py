"""Everything the test database holds, as text: what a stolen dump (or backup) would show."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from services.context import Services


def database_dump(svc: Services) -> str:
    """SQLite: the raw bytes of the database file and its journals; PostgreSQL: every row of every table."""
    url = svc.settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        svc.db.dispose()
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).decode("latin-1")
    engine = create_engine(url)
    out = []
    with engine.connect() as conn:
        tables = [
            r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        ]
        for t in tables:
            out.extend(str(r[0]) for r in conn.execute(text(f"SELECT t::text FROM {t} t")))
    engine.dispose()
    return "\n".join(out)
