"""Referral intake and consent, driven through the services layer on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from casekit import (
    World,
    accept_referral,
    advance,
    advance_to,
    case_data,
    complete,
    instance,
    open_tasks,
    outbound_payloads,
    record_consent,
    refer,
    task,
    task_data,
)

from services.errors import InvalidInput


def test_missing_information_is_asked_reminded_and_the_referral_closes_as_incomplete(w: World) -> None:
    case_id = refer(w)
    assert task(w, case_id, "check_referral").lane == "Intake"
    assert task_data(w, case_id, "check_referral")["referral_check_due_on"] == "2026-03-03"
    with pytest.raises(InvalidInput) as bad:  # what is missing must be said
        complete(w, w.intake, case_id, "check_referral", {"referral_check": "missing_information"})
    assert "missing_information" in bad.value.errors
    complete(
        w,
        w.intake,
        case_id,
        "check_referral",
        {"referral_check": "missing_information", "missing_information": "The client's birth date."},
    )
    assert task_data(w, case_id, "record_information")["info_close_on"] == "2026-03-16"
    assert outbound_payloads(w, "referral_information_requested") == [
        {
            "case_reference": "AUT-2026-000001",
            "missing_information": "The client's birth date.",
            "reply_by": "2026-03-16",
        }
    ]

    assert advance_to(w, "2026-03-08") == 0  # nothing before the reminder day
    assert advance_to(w, "2026-03-09") == 1
    assert outbound_payloads(w, "referrer_reminder") == [
        {
            "case_reference": "AUT-2026-000001",
            "missing_information": "The client's birth date.",
            "reply_by": "2026-03-16",
        }
    ]
    assert set(open_tasks(w, case_id)) == {"record_information"}  # the reminder did not interrupt the wait

    assert advance_to(w, "2026-03-16", hour=23) == 0  # the whole last day belongs to the referrer
    assert advance(w, days=0.1) == 1
    data = case_data(w, case_id)
    assert instance(w, case_id).status == "completed"
    assert (data["referral_outcome"], data["case_status"], data["case_outcome"]) == (
        "incomplete",
        "closed",
        "incomplete",
    )
    assert data["closed_on"] == "2026-03-17" and data["exit_reason"] is None
    assert open_tasks(w, case_id) == {}


def test_an_answer_sends_the_referral_back_to_the_check(w: World) -> None:
    case_id = refer(w)
    complete(
        w,
        w.intake,
        case_id,
        "check_referral",
        {"referral_check": "missing_information", "missing_information": "Where did it happen?"},
    )
    advance(w, days=2)
    complete(
        w,
        w.intake,
        case_id,
        "record_information",
        {"information_received": "In a restaurant in Espoo.", "information_received_on": "2026-03-04"},
    )
    assert "In a restaurant in Espoo." in (task_data(w, case_id, "check_referral").get("information_received") or "")
    accept_referral(w, case_id)
    assert set(open_tasks(w, case_id)) == {"record_consent"}
    assert advance(w, days=30) == 0  # the deadlines of the answered request no longer run
    assert outbound_payloads(w, "referrer_reminder") == []


def test_a_duplicate_is_merged_not_opened_again(w: World) -> None:
    case_id = refer(w)
    with pytest.raises(InvalidInput):  # a duplicate names the existing case
        complete(w, w.intake, case_id, "check_referral", {"referral_check": "duplicate"})
    complete(w, w.intake, case_id, "check_referral", {"referral_check": "duplicate", "duplicate_of": "AUT-2025-000042"})
    data = case_data(w, case_id)
    assert (data["case_outcome"], data["duplicate_of"], data["case_status"]) == (
        "duplicate",
        "AUT-2025-000042",
        "closed",
    )


def test_an_adult_consents_personally_and_per_purpose(w: World) -> None:
    case_id = refer(w)
    accept_referral(w, case_id)
    form = task_data(w, case_id, "record_consent")
    assert form["consent_from"] == "person" and form["consent"]["given"] is True  # taken from the referral
    record_consent(w, case_id, share_with=["migri", "police"])
    data = task_data(w, case_id, "initial_assessment")
    assert data["consent_valid"] is True and data["consent"]["share_with"] == ["migri", "police"]


def test_without_consent_the_case_closes(w: World) -> None:
    case_id = refer(w)
    accept_referral(w, case_id)
    record_consent(w, case_id, given=False)
    assert "person's own consent" in (task_data(w, case_id, "obtain_consent")["consent_problem"] or "")
    complete(w, w.intake, case_id, "obtain_consent", {"consent_can_be_obtained": False})
    data = case_data(w, case_id)
    assert (data["case_outcome"], data["consent_valid"], instance(w, case_id).status) == (
        "no_consent",
        False,
        "completed",
    )


def test_a_child_under_15_is_represented_by_the_guardian(w: World) -> None:
    client = {"given_names": "Ana", "birth_year": 2013, "gender": "female", "nationalities": ["RO"]}
    case_id = refer(w, client=client, consent={"given": True, "date": "2026-03-01", "method": "signed_form"})
    assert task(w, case_id, "check_referral").priority >= 10  # a child is urgent
    accept_referral(w, case_id)
    assert task_data(w, case_id, "record_consent")["consent_from"] == "guardian"
    record_consent(w, case_id)  # only the child's own word: not enough under 15
    assert "guardian" in task_data(w, case_id, "obtain_consent")["consent_problem"]
    complete(w, w.intake, case_id, "obtain_consent", {"consent_can_be_obtained": True})
    complete(
        w,
        w.intake,
        case_id,
        "record_consent",
        {
            "consent": {"guardian_consent": True, "date": "2026-03-02", "method": "signed_form"},
            "guardian": {"name": "Representative R", "role": "representative", "phone": "+358 9 1"},
        },
    )
    data = task_data(w, case_id, "notify_child_welfare")
    assert data["consent_valid"] is True and data["guardian"]["role"] == "representative"


def test_inbox_due_dates_come_from_the_called_process_data(w: World) -> None:
    case_id = refer(w)
    due = task(w, case_id, "check_referral").due_at
    assert due is not None and due.date().isoformat() == "2026-03-03"
