"""The audit and access logs refuse UPDATE and DELETE at the database level. The one exception:
an audit row's sealed `details` may be re-sealed (key rotation), with every other column unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from services.context import Services
from store.models import AccessLogEntry, AuditEvent

REFUSED = {
    "audit_event": [
        "UPDATE audit_event SET actor = 'mallory'",
        "UPDATE audit_event SET details = '{}'",
        "DELETE FROM audit_event",
    ],
    "access_log": [
        "UPDATE access_log SET username = 'mallory'",
        "UPDATE access_log SET id = id",
        "DELETE FROM access_log",
    ],
}


@pytest.mark.parametrize("table", ["audit_event", "access_log"])
def test_logs_are_append_only(svc: Services, table: str) -> None:
    with svc.sessions() as session:
        row = (
            AuditEvent(actor="a", action="x", details={"who": "someone"})
            if table == "audit_event"
            else AccessLogEntry(username="a", case_id=1, what="case page", via="page")
        )
        session.add(row)
        session.commit()
    for statement in REFUSED[table]:
        with svc.sessions() as session, pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
            session.commit()
    with svc.sessions() as session:
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
