"""The admission decision: admission, rejection on each ground, the presenter-decider principle, the
referrer told yes or no only, and the appeal window with an appeal that reopens the decision."""

from __future__ import annotations

import pytest
from casekit import (
    World,
    accept_referral,
    advance,
    advance_to,
    assess,
    case_data,
    complete,
    decide,
    instance,
    open_tasks,
    outbound_payloads,
    record_consent,
    refer,
    start_assistance,
    task,
    task_data,
)

from services.context import Actor
from services.errors import Forbidden, InvalidInput
from services.messages import deliver_message


def assessed_case(w: World) -> int:
    case_id = refer(w)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    assess(w, case_id)
    return case_id


def test_admission_records_the_decision_facts_and_tells_the_referrer_only_yes(w: World) -> None:
    case_id = assessed_case(w)
    assert task(w, case_id, "draft_decision").lane == "Caseworker"
    advance(w, days=3)
    decide(w, case_id, "admitted", notified_on="2026-03-06")
    assert task(w, case_id, "start_assistance").lane == "Caseworker"
    data = task_data(w, case_id, "start_assistance")
    assert data["decision"] == {"outcome": "admitted", "rejection_ground": None, "reasoning": "Assessed as described."}
    assert (data["decided_on"], data["notified_on"], data["appeal_deadline"]) == (
        "2026-03-05",
        "2026-03-06",
        "2026-04-05",
    )
    assert data["admitted_on"] == "2026-03-05" and data["age_at_decision"] == 31
    assert data["exploitation_forms"] == [
        {"form": "forced_labour", "primary": True},
        {"form": "benefit_fraud", "primary": False},
    ]
    assert (data["exploited_in"], data["service_needs"], data["service_provider"]) == (
        "finland",
        ["advice", "legal_aid"],
        "wellbeing_county",
    )
    assert outbound_payloads(w, "notify_referrer") == [{"case_reference": "AUT-2026-000001", "outcome": "admitted"}]
    start_assistance(w, case_id)
    data = case_data(w, case_id)
    assert data["case_status"] == "client" and data["next_review_on"] == "2026-09-05"
    assert data["assistance_plan"] == {
        "measures": ["advice", "legal_aid"],
        "provider": "wellbeing_county",
        "started_on": "2026-03-05",
    }
    assert instance(w, case_id).active_elements == ["await_client"]


@pytest.mark.parametrize("ground", ["no_trafficking", "no_need"])
def test_rejection_becomes_final_when_the_appeal_period_ends(w: World, ground: str) -> None:
    case_id = assessed_case(w)
    with pytest.raises(InvalidInput) as bad:  # a rejection states its ground
        complete(
            w,
            w.caseworker,
            case_id,
            "draft_decision",
            {"decision": {"outcome": "rejected", "reasoning": "No."}, "letter_language": "fi"},
        )
    assert "decision.rejection_ground" in bad.value.errors
    decide(w, case_id, "rejected", ground)
    assert outbound_payloads(w, "notify_referrer") == [{"case_reference": "AUT-2026-000001", "outcome": "rejected"}]
    assert instance(w, case_id).status == "running"  # the appeal period runs
    assert advance_to(w, "2026-04-01", hour=23) == 0
    assert advance(w, days=0.1) == 1
    data = case_data(w, case_id)
    assert data["decision"]["outcome"] == "rejected" and data["decision"]["rejection_ground"] == ground
    assert (data["decision_final"], data["case_outcome"], data["admitted_on"]) == (True, "not_admitted", None)
    assert instance(w, case_id).status == "completed"


def test_an_appeal_can_reopen_the_decision(w: World) -> None:
    case_id = assessed_case(w)
    decide(w, case_id, "rejected", "no_need")
    advance(w, days=20)
    deliver_message(
        w.svc, w.caseworker, "appeal_registered", {"lodged_on": "2026-03-20", "court": "Helsinki"}, case_id=case_id
    )
    assert task_data(w, case_id, "record_decision_appeal")["appeal"]["court"] == "Helsinki"
    assert advance(w, days=30) == 0  # the appeal period no longer matters
    complete(
        w,
        w.caseworker,
        case_id,
        "record_decision_appeal",
        {"appeal_outcome": "returned", "appeal_decided_on": "2026-04-20"},
    )
    assert task_data(w, case_id, "draft_decision")["appeal"]["outcome"] == "returned"
    decide(w, case_id, "admitted")
    data = task_data(w, case_id, "start_assistance")
    assert data["decision"]["outcome"] == "admitted" and data["decided_on"] == "2026-04-21"
    assert [p["outcome"] for p in outbound_payloads(w, "notify_referrer")] == ["rejected", "admitted"]


def test_a_dismissed_appeal_leaves_the_rejection_standing(w: World) -> None:
    case_id = assessed_case(w)
    decide(w, case_id, "rejected", "no_trafficking")
    deliver_message(w.svc, w.caseworker, "appeal_registered", {"court": "Helsinki"}, case_id=case_id)
    complete(
        w,
        w.caseworker,
        case_id,
        "record_decision_appeal",
        {"appeal_outcome": "dismissed", "appeal_decided_on": "2026-06-01"},
    )
    data = case_data(w, case_id)
    assert data["case_outcome"] == "not_admitted" and data["appeal"]["outcome"] == "dismissed"


def test_a_returned_draft_goes_back_to_the_drafter(w: World) -> None:
    case_id = assessed_case(w)
    draft = {"decision": {"outcome": "admitted", "reasoning": "Short."}, "letter_language": "fi"}
    complete(w, w.caseworker, case_id, "draft_decision", draft)
    with pytest.raises(InvalidInput):  # a return gives its reason
        complete(w, w.decider, case_id, "approve_decision", {"approval": "returned"})
    complete(w, w.decider, case_id, "approve_decision", {"approval": "returned", "return_reason": "Reason more."})
    redraft = task_data(w, case_id, "draft_decision")
    assert redraft["return_reason"] == "Reason more." and redraft["decision"]["reasoning"] == "Short."
    assert redraft["decision_rounds"] == 1
    complete(
        w, w.caseworker, case_id, "draft_decision", {**draft, "decision": {**draft["decision"], "reasoning": "Long."}}
    )
    complete(w, w.decider, case_id, "approve_decision", {"approval": "approved"})
    assert set(open_tasks(w, case_id)) == {"notify_decision"}


def test_a_decider_cannot_approve_their_own_draft(w: World) -> None:
    """The presenter-decider principle: approve_decision is separateFrom draft_decision."""
    both = Actor("bea", frozenset({"caseworker", "decider"}), team_id=w.team_id)
    case_id = assessed_case(w)
    complete(
        w,
        both,
        case_id,
        "draft_decision",
        {"decision": {"outcome": "admitted", "reasoning": "Yes."}, "letter_language": "en"},
    )
    with pytest.raises(Forbidden, match="presenter-decider"):
        complete(w, both, case_id, "approve_decision", {"approval": "approved"})
    assert "approve_decision" in open_tasks(w, case_id)
    complete(w, w.decider, case_id, "approve_decision", {"approval": "approved"})
    assert "notify_decision" in open_tasks(w, case_id)


def test_only_deciders_sign(w: World) -> None:
    case_id = assessed_case(w)
    complete(
        w,
        w.caseworker,
        case_id,
        "draft_decision",
        {"decision": {"outcome": "admitted", "reasoning": "Yes."}, "letter_language": "en"},
    )
    assert task(w, case_id, "approve_decision").lane == "Decider"
    with pytest.raises(Forbidden):
        complete(w, w.caseworker2, case_id, "approve_decision", {"approval": "approved"})
