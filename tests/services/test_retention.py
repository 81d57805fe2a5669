"""Erasure after the retention period: personal data gone, statistics unchanged, holds respected."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import SUPERVISOR, FakeClock
from support_api import access_rows, case_with_flow, deploy_case_flow, referral

from services.cases import get_case
from services.context import SYSTEM, Actor, Services
from services.errors import Forbidden
from services.retention import place_hold, preview, release_hold, run_daily_erasure, run_erasure
from services.stat_projection import project_case_facts
from services.statistics import annual_statistics
from services.uow import UnitOfWork
from store.models import (
    AuditEvent,
    Case,
    ErasureRecord,
    HumanTask,
    ProcessInstance,
    ReferrerChannel,
    ReferrerNotification,
    StatRecord,
)

ADMIN = Actor("adam", frozenset({"admin"}))
STATS = Actor("stella", frozenset({"statistician"}))


def _closed_case(svc: Services, clock: FakeClock, reference: str) -> int:
    deploy_case_flow(svc)
    case_id, _instance = case_with_flow(svc, "A", reference=reference)
    get_case(svc, SUPERVISOR, case_id, via="api")  # leaves an access-log row
    with UnitOfWork(svc.sessions, write=True) as uow:
        doc = referral()
        doc["received_at"] = clock.now.isoformat()
        project_case_facts(uow.session, case_id, {"referral": doc}, clock.now)
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.status, case.closed_at = "closed", clock.now
        uow.commit()
    return case_id


def _count(svc: Services, model: type, **where: object) -> int:
    with UnitOfWork(svc.sessions) as uow:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(uow.session.scalar(q) or 0)


def test_erasure_after_the_period_removes_personal_data_and_keeps_the_statistics(
    svc: Services, clock: FakeClock
) -> None:
    case_id = _closed_case(svc, clock, "AUT-2026-000901")
    with UnitOfWork(svc.sessions, write=True) as uow:  # the referrer heard back through a callback
        uow.session.add(
            ReferrerChannel(reference="AUT-2026-000901", channel="partner_api", callback_url="https://ngo.test/cb")
        )
        uow.session.add(ReferrerNotification(reference="AUT-2026-000901", outcome="admitted", notified_at=clock.now))
        uow.commit()
    before = annual_statistics(svc, STATS, 2026).tables
    assert before["applications"]["total"] == 1  # the case is counted
    assert preview(svc, ADMIN) == [] and run_erasure(svc, ADMIN) == []  # not due yet
    clock.advance(days=5 * 366)
    due = preview(svc, ADMIN)
    assert [(c.case_id, c.rule) for c in due] == [(case_id, "client_case_5y")]
    with pytest.raises(Forbidden):
        preview(svc, Actor("carl", frozenset({"caseworker"})))
    assert run_erasure(svc, ADMIN) == [case_id]

    with UnitOfWork(svc.sessions) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and case.facts == {} and case.status == "erased"
        assert case.reference == "AUT-2026-000901"
        details = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.case_id == case_id, AuditEvent.action != "personal_data_erased")
        ).all()
        assert details and all(d == {"erased": True} for d in details)
        record = uow.session.scalars(select(ErasureRecord)).one()
        assert record.case_id == case_id and record.rule == "client_case_5y" and record.counts["process_instance"] == 1
        assert "Example" not in str(record.counts)
    assert _count(svc, ProcessInstance, case_id=case_id) == 0 and _count(svc, HumanTask, case_id=case_id) == 0
    assert _count(svc, ReferrerChannel) == 0 and _count(svc, ReferrerNotification) == 0
    assert _count(svc, StatRecord) == 1 and _count(svc, StatRecord, case_id=case_id) == 0
    assert annual_statistics(svc, STATS, 2026).tables == before  # past statistics identical
    assert access_rows(svc, case_id=case_id)  # the access log stays (it holds no client data)
    assert preview(svc, ADMIN) == [] and run_erasure(svc, ADMIN) == []  # nothing twice


def test_a_legal_hold_blocks_erasure(svc: Services, clock: FakeClock) -> None:
    case_id = _closed_case(svc, clock, "AUT-2026-000902")
    hold = place_hold(svc, SUPERVISOR, case_id, "prosecution", "Criminal proceedings pending")
    clock.advance(days=6 * 366)
    assert preview(svc, ADMIN) == [] and run_erasure(svc, ADMIN) == []
    with UnitOfWork(svc.sessions) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and case.facts["client"]["family_name"] == "AUT-2026-000902"
    assert _count(svc, ErasureRecord) == 0
    release_hold(svc, SUPERVISOR, hold.id)
    assert run_erasure(svc, ADMIN) == [case_id]
    assert any(e.what == "case" for e in access_rows(svc, case_id=case_id))


def test_the_daily_job_runs_once_a_day(svc: Services, clock: FakeClock) -> None:
    _closed_case(svc, clock, "AUT-2026-000903")
    assert run_daily_erasure(svc) == 0
    assert run_daily_erasure(svc) is None  # already ran today
    clock.advance(days=5 * 366)
    assert run_daily_erasure(svc) == 1
    clock.advance(days=1)
    assert run_daily_erasure(svc) == 0
    with pytest.raises(Forbidden):
        run_erasure(svc, Actor("carl", frozenset({"caseworker"})))
    assert run_erasure(svc, SYSTEM) == []
