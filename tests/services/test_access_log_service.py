"""services.access_log and the reads that write it, as the HTML pages call them (via="page")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from support import SUPERVISOR, FakeClock
from support_api import access_rows, actor, case_with_flow, deploy_case_flow, open_task, user

from services.access_log import list_access, record_read
from services.cases import get_case
from services.context import Actor, Services
from services.documents import get_document, store_document
from services.errors import Forbidden, InvalidInput
from services.task_detail import read_task
from services.uow import UnitOfWork


def test_page_reads_are_logged_as_page(svc: Services, clock: FakeClock) -> None:
    deploy_case_flow(svc)
    user(svc, "ida", ["intake"], team="A")
    case_id, instance_id = case_with_flow(svc, "A", reference="AUT-2026-000001")
    ida = actor(svc, "ida")
    register = open_task(svc, instance_id, "register")

    view = get_case(svc, ida, case_id, via="page")
    assert view.reference == "AUT-2026-000001" and [t.name for t in view.active_tasks] == ["register"]
    clock.advance(minutes=5)
    detail = read_task(svc, ida, register, via="page")
    assert detail.instructions == "Register the referral received on 2026-03-01."
    clock.advance(minutes=5)
    doc = store_document(svc, ida, register, "client_name", "n.txt", "text/plain", b"note")
    assert get_document(svc, ida, doc.public_id, via="export").content == b"note"

    rows = access_rows(svc, case_id=case_id)
    assert [(r.username, r.what, r.via) for r in rows] == [
        ("ida", "case", "page"),
        ("ida", "task register", "page"),
        ("ida", f"document {doc.public_id}", "export"),
    ]
    start = clock.now - timedelta(minutes=10)
    page = list_access(svc, SUPERVISOR, case_id=case_id, since=start + timedelta(minutes=1))
    assert [e.what for e in page.entries] == [f"document {doc.public_id}", "task register"]
    page = list_access(svc, SUPERVISOR, username="ida", until=start + timedelta(minutes=1))
    assert [e.what for e in page.entries] == ["case"] and page.total == 1
    with pytest.raises(Forbidden):
        list_access(svc, ida)
    with pytest.raises(InvalidInput):
        list_access(svc, SUPERVISOR, per_page=501)


def test_a_read_that_cannot_be_logged_is_not_answered(svc: Services) -> None:
    if svc.db.dialect.name != "sqlite":
        pytest.skip("drops a table: only on the per-test SQLite file, never the shared PostgreSQL schema")
    deploy_case_flow(svc)
    case_id, _instance = case_with_flow(svc, "A", reference="AUT-2026-000001")
    sue = Actor("sue", frozenset({"supervisor"}))
    with UnitOfWork(svc.sessions, write=True) as uow:  # break the log table for this test
        uow.session.execute(text("DROP TABLE access_log"))
        uow.commit()
    with pytest.raises(Exception, match="access_log"):
        get_case(svc, sue, case_id, via="api")


def test_record_read_refuses_unknown_channels(svc: Services) -> None:
    with UnitOfWork(svc.sessions, write=True) as uow, pytest.raises(ValueError, match="channel"):
        record_read(uow.session, SUPERVISOR, 1, "case", "carrier pigeon")  # type: ignore[arg-type]
