"""`auttamo demo` drives about 30 invented cases through the real processes, spread over every stage,
without incidents, and only once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from support import FakeClock

from cli.demo import seed_demo
from services.context import Services
from services.uow import UnitOfWork
from store.models import Case, HumanTask, Incident, ProcessInstance


@pytest.mark.slow
def test_demo_cases_cover_every_stage_once(svc: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTTAMO_DEMO_PASSWORD", "demo password for tests")
    lines = list(seed_demo(svc))
    assert any(line.startswith("sample cases: ") and "created" in line for line in lines), lines
    with UnitOfWork(svc.sessions) as uow:
        assert 28 <= uow.session.scalar(select(func.count()).select_from(Case)) <= 40
        assert uow.session.scalar(select(func.count()).select_from(Incident)) == 0
        open_tasks = Counter(uow.session.scalars(select(HumanTask.bpmn_id).where(HumanTask.status == "open")))
        statuses = Counter(uow.session.scalars(select(ProcessInstance.status)))
        waiting = Counter(
            e
            for elements in uow.session.scalars(select(ProcessInstance.active_elements))
            for e in (elements or [])
            if e.startswith("await")
        )
    every_stage = {
        "check_referral",
        "record_information",
        "record_consent",
        "obtain_consent",
        "notify_child_welfare",
        "initial_assessment",
        "assess_exploitation",
        "service_need_assessment",
        "draft_decision",
        "approve_decision",
        "notify_decision",
        "record_decision_appeal",
        "start_assistance",
        "follow_reflection_period",
        "reflection_ending",
        "review_need",
        "hear_client",
        "decide_removal",
        "return_risk_assessment",
    }
    assert every_stage <= set(open_tasks), every_stage - set(open_tasks)
    assert waiting["await_client"] >= 3 and waiting["await_decision_appeal"] >= 1
    assert statuses["completed"] >= 8  # closed at intake, without consent, rejected, removed, left, returned
    assert list(seed_demo(svc))[-1] == "sample cases: skipped (the database already has cases)"
