"""The anonymous statistics facts: extracted from process data by the DESIGN names, projected as
cases change, and free of names and birth dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from support import INTAKE, OWNER, files_of
from support_api import referral

from processes.statistics_facts import DecisionFact, age_on, extract_case_facts
from services.context import Services
from services.deploy import deploy
from services.referrals import parse_referral, submit_referral
from services.uow import UnitOfWork
from store.models import StatRecord

DATA = {
    "referral": referral(received_at="2026-12-20T10:00:00+00:00"),
    "exploitation_forms": [{"form": "forced_labour", "primary": True}, {"form": "benefit_fraud", "primary": False}],
    "exploited_in": "both",
    "decision": {"outcome": "admitted", "rejection_ground": None, "reasoning": "...", "decided_on": "2027-01-08"},
}


def test_extract_by_the_design_names() -> None:
    facts = extract_case_facts(DATA)
    assert facts is not None
    assert (facts.received_on, facts.referrer_type, facts.gender, facts.nationalities) == (
        date(2026, 12, 20),
        "police",
        "female",
        ("NG",),
    )
    assert facts.decisions == (DecisionFact(date(2027, 1, 8), "admitted", None),)
    assert facts.admitted_on == date(2027, 1, 8) and facts.age_at_admission == 36
    assert facts.exploitation == (("forced_labour", True), ("benefit_fraud", False))
    assert facts.exploited_in == "both"  # the assessment's finding, not the referrer's guess
    assert extract_case_facts({"no": "referral"}) is None


def test_a_draft_decision_is_not_a_decision() -> None:
    facts = extract_case_facts({**DATA, "decision": {"outcome": "admitted"}})  # no date yet
    assert facts is not None and facts.decisions == () and facts.admitted_on is None


def test_age_with_only_a_birth_year_is_the_lower_bound() -> None:
    assert age_on(None, 2008, date(2026, 6, 1)) == 17
    assert age_on(None, 2008, date(2026, 12, 31)) == 18
    assert age_on(date(2008, 6, 2), None, date(2026, 6, 1)) == 17


def test_referral_projects_a_record_without_personal_data(svc: Services) -> None:
    deploy(svc, OWNER, files_of("referral_stub"))
    receipt = submit_referral(svc, INTAKE, parse_referral(referral(received_at="2026-02-27T08:00:00+00:00")))
    with UnitOfWork(svc.sessions) as uow:
        record = uow.session.scalars(select(StatRecord).where(StatRecord.case_id == receipt.case_id)).one()
        assert (record.received_on, record.referrer_type, record.gender, record.birth_year) == (
            date(2026, 2, 27),
            "police",
            "female",
            1990,
        )
        stored = " ".join(str(v) for v in record.__dict__.values())
        assert "Anna" not in stored and "1990-05-17" not in stored and "Virtanen" not in stored
