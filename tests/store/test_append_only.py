"""The audit and access logs refuse UPDATE and DELETE at the database level."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from services.context import Services
from store.models import AccessLogEntry, AuditEvent


@pytest.mark.parametrize("table", ["audit_event", "access_log"])
def test_logs_are_append_only(svc: Services, table: str) -> None:
    with svc.sessions() as session:
        row = (
            AuditEvent(actor="a", action="x", details={})
            if table == "audit_event"
            else AccessLogEntry(username="a", case_id=1, what="case page", via="page")
        )
        session.add(row)
        session.commit()
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with svc.sessions() as session, pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
            session.commit()
    with svc.sessions() as session:
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
