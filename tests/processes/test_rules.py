"""The deadline, eligibility and consent rules the models call (processes/rules.py), as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import clock as engine_clock
from processes import rules
from processes.script_helpers import SCRIPT_HELPERS, is_past, now_utc, today


def test_reflection_period_is_30_days_to_6_calendar_months() -> None:
    start = "2026-03-02"
    assert rules.reflection_last_day(start, 30) == "2026-03-31"
    assert rules.reflection_problem_for(start, rules.reflection_last_day(start, 30)) is None
    assert "at least 30 days" in (rules.reflection_problem_for(start, rules.reflection_last_day(start, 29)) or "")
    # Six calendar months from 2 March last to 1 September: 184 days.
    assert rules.reflection_latest_day(start) == "2026-09-01"
    assert rules.reflection_problem_for(start, rules.reflection_last_day(start, 184)) is None
    assert "at most" in (rules.reflection_problem_for(start, rules.reflection_last_day(start, 185)) or "")
    assert rules.reflection_problem_for(start, rules.add_months(start, 7)) is not None  # 7 months
    # From 31 August six months end with February: 184 days would be too long there.
    assert rules.reflection_latest_day("2026-08-31") == "2027-02-27"
    assert rules.reflection_problem_for("2026-08-31", rules.reflection_last_day("2026-08-31", 184)) is not None
    assert rules.reflection_problem_for("2026-08-31", "2027-02-27") is None


def test_reminder_comes_seven_days_before_the_end() -> None:
    last_day = "2026-03-31"
    assert rules.end_of(last_day) == "2026-04-01T00:00:00+00:00"
    assert rules.reflection_reminder_for(last_day) == "2026-03-25T00:00:00+00:00"
    assert rules.reflection_reminder_for(last_day, days=3) == "2026-03-29T00:00:00+00:00"


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-03-02", 6, "2026-09-02"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2027-08-31", 6, "2028-02-29"),
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-01-31", 1, "2026-02-28"),
    ],
)
def test_calendar_months(start: str, months: int, expected: str) -> None:
    assert rules.add_months(start, months) == expected


def test_deadlines_and_their_defaults() -> None:
    assert rules.appeal_deadline_for("2026-03-02") == "2026-04-01"
    assert rules.appeal_deadline_for("2026-03-02", days=14) == "2026-03-16"
    assert rules.next_review_day("2026-03-02") == "2026-09-02"
    assert rules.next_review_day("2026-03-02", months=3) == "2026-06-02"
    assert rules.hearing_deadline_for("2026-03-02") == "2026-03-16"
    assert (rules.info_reminder_day("2026-03-02"), rules.info_close_day("2026-03-02")) == ("2026-03-09", "2026-03-16")
    assert rules.decision_target_day("2026-03-02") == "2026-04-01"
    assert rules.decision_target_day("2026-03-02", is_child=True) == "2026-03-09"
    assert rules.referral_check_day("2026-03-02T22:00:00+00:00") == "2026-03-03"
    assert rules.start_of("2026-03-02") == "2026-03-02T00:00:00+00:00"
    assert set(rules.BASIS) >= {"appeal_deadline", "reflection_end", "next_review_at", "hearing_deadline"}


def test_age_counts_from_birth_date_or_the_youngest_possible_birth_year() -> None:
    adult = {"client": {"birth_date": "2008-05-17"}}
    assert rules.age_of_client(adult, "2026-05-16") == 17
    assert rules.age_of_client(adult, "2026-05-17") == 18
    assert rules.age_of_client({"client": {"birth_year": 2008}}, "2026-12-31") == 17  # presumption of minority
    assert rules.age_of_client({"client": {}}, "2026-01-01") is None
    assert rules.is_minor(17) and not rules.is_minor(18) and not rules.is_minor(None)


@pytest.mark.parametrize(
    ("consent", "consent_from", "ok"),
    [
        ({"given": True}, "person", True),
        ({"given": False}, "person", False),
        ({}, "person", False),
        ({"guardian_consent": True}, "guardian", True),
        ({"given": True}, "guardian", False),
        ({"child_consent": True, "guardian_consent": True}, "child_and_guardian", True),
        ({"child_consent": True}, "child_and_guardian", False),
        ({"guardian_consent": True}, "child_and_guardian", False),
    ],
)
def test_consent_rule(consent: dict[str, bool], consent_from: str, ok: bool) -> None:
    assert (rules.consent_problem_for(consent, consent_from) is None) is ok


def test_script_clock_is_the_engine_clock() -> None:
    moment = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    with engine_clock.using(lambda: moment):
        assert now_utc() == "2030-01-02T03:04:00+00:00"
        assert today() == "2030-01-02"
        assert is_past("2030-01-02") and is_past("2030-01-02T03:04:00+00:00")
        assert not is_past("2030-01-03") and not is_past("2030-01-02T03:05:00+00:00")


def test_helpers_do_not_shadow_case_data_names() -> None:
    """SpiffWorkflow refuses task data named like a helper, so no helper may take a data name."""
    data_names = {
        "appeal_deadline",
        "reflection_period",
        "reflection_end_at",
        "reflection_reminder_at",
        "next_review_on",
        "next_review_at",
        "hearing_deadline",
        "info_close_on",
        "decision_due_on",
        "referral_check_due_on",
        "client_age",
        "consent_problem",
        "exit_reason",
        "decided_on",
        "notified_on",
    }
    assert not data_names & set(SCRIPT_HELPERS)
