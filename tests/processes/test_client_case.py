"""The client relationship: periodic reviews, removal (proposal, hearing, decision, appeal), the client's
own notice, withdrawal of consent wherever the case is, and a child's path through the system."""

from __future__ import annotations

import pytest
from casekit import (
    World,
    accept_referral,
    admit,
    advance,
    advance_to,
    assess,
    case_data,
    complete,
    decide,
    instance,
    open_tasks,
    record_consent,
    refer,
    start_assistance,
    task,
    task_data,
)
from support import OWNER, one_lane_process

from engine import SourceFile
from services.context import Actor
from services.deploy import deploy
from services.disclosures import list_disclosures, record_disclosure
from services.errors import Conflict, DeploymentRejected, Forbidden, InvalidInput
from services.instance_admin import resume_instance, suspend_instance
from services.messages import deliver_message


def review(
    w: World, case_id: int, outcome: str = "continue", ground: str | None = None, needs: list[str] | None = None
) -> None:
    data: dict[str, object] = {"review_outcome": outcome, "review_notes": "Reviewed with the client."}
    if ground:
        data["removal_ground"] = ground
    if needs is not None:
        data["service_needs"] = needs
    complete(w, w.caseworker, case_id, "review_need", data)


def test_review_every_six_months_then_removal_after_hearing(w: World) -> None:
    case_id = admit(w)
    assert advance_to(w, "2026-09-01") == 0
    assert advance_to(w, "2026-09-02") == 1
    assert task(w, case_id, "review_need").lane == "Caseworker"
    review(w, case_id, needs=["advice", "health_care"])
    data = case_data(w, case_id)
    assert data["next_review_on"] == "2027-03-02" and data["last_review_on"] == "2026-09-02"
    assert data["assistance_plan"]["measures"] == ["advice", "health_care"]  # the plan follows the review
    advance_to(w, "2027-03-02")
    review(w, case_id, "propose_removal", "no_longer_needs_assistance")
    hearing = task_data(w, case_id, "hear_client")
    assert (hearing["removal_proposed_on"], hearing["hearing_deadline"]) == ("2027-03-02", "2027-03-16")
    assert advance_to(w, "2027-03-16", hour=23) == 0  # the client has the whole last day
    assert advance(w, days=0.1) == 1  # no statement: on to the decider
    decide_task = task(w, case_id, "decide_removal")
    assert decide_task.lane == "Decider"
    assert task_data(w, case_id, "decide_removal")["hearing"]["statement_given"] is False
    complete(
        w, w.decider, case_id, "decide_removal", {"removal_decision": "remove", "removal_reasoning": "Need ended."}
    )
    data = case_data(w, case_id)
    assert (data["exit_reason"], data["exited_on"], data["removal_appeal_deadline"]) == (
        "no_longer_needs_assistance",
        "2027-03-17",
        "2027-04-16",
    )
    assert instance(w, case_id).status == "running"  # the removal is appealable
    assert advance_to(w, "2027-04-17") == 1
    data = case_data(w, case_id)
    assert (data["case_status"], data["case_outcome"], data["closed_on"]) == ("closed", "exited", "2027-04-17")
    assert instance(w, case_id).status == "completed"


def test_the_client_is_heard_and_the_decider_keeps_them(w: World) -> None:
    case_id = admit(w)
    deliver_message(w.svc, w.caseworker, "review_requested", {}, case_id=case_id)  # a review before it is due
    review(w, case_id, "propose_removal", "left_finland")
    complete(
        w,
        w.caseworker,
        case_id,
        "hear_client",
        {"hearing": {"heard_on": "2026-03-05", "statement_given": True, "statement": "I still live here."}},
    )
    complete(w, w.decider, case_id, "decide_removal", {"removal_decision": "continue", "removal_reasoning": "Stays."})
    data = case_data(w, case_id)
    assert (data["case_status"], data["exit_reason"], data["review_count"]) == ("client", None, 1)
    assert data["next_review_on"] == "2026-09-02"


def test_the_proposer_cannot_sign_the_removal(w: World) -> None:
    both = Actor("bea", frozenset({"caseworker", "decider"}), team_id=w.team_id)
    case_id = admit(w)
    deliver_message(w.svc, both, "review_requested", {}, case_id=case_id)
    complete(
        w,
        both,
        case_id,
        "review_need",
        {"review_outcome": "propose_removal", "removal_ground": "other", "review_notes": "Gone."},
    )
    complete(w, w.caseworker, case_id, "hear_client", {"hearing": {"heard_on": "2026-03-03", "statement_given": False}})
    with pytest.raises(Forbidden, match="presenter-decider"):
        complete(w, both, case_id, "decide_removal", {"removal_decision": "remove", "removal_reasoning": "Gone."})


def test_an_annulled_removal_reinstates_the_client(w: World) -> None:
    case_id = admit(w)
    deliver_message(w.svc, w.caseworker, "review_requested", {}, case_id=case_id)
    review(w, case_id, "propose_removal", "other")
    complete(w, w.caseworker, case_id, "hear_client", {"hearing": {"heard_on": "2026-03-03", "statement_given": False}})
    complete(w, w.decider, case_id, "decide_removal", {"removal_decision": "remove", "removal_reasoning": "Other."})
    advance(w, days=10)
    deliver_message(w.svc, w.caseworker, "appeal_registered", {"court": "Helsinki"}, case_id=case_id)
    complete(
        w,
        w.caseworker,
        case_id,
        "record_removal_appeal",
        {"appeal_outcome": "annulled", "appeal_decided_on": "2026-05-04"},
    )
    data = case_data(w, case_id)
    assert (data["case_status"], data["exit_reason"], data["exited_on"]) == ("client", None, None)
    assert data["removal_annulled_on"] == "2026-05-04" and instance(w, case_id).active_elements == ["await_client"]


def test_the_client_may_leave_by_notice(w: World) -> None:
    case_id = admit(w)
    advance(w, days=40)
    deliver_message(w.svc, w.caseworker, "client_notice", {"date": "2026-04-10"}, case_id=case_id)
    data = case_data(w, case_id)
    assert (data["exit_reason"], data["exited_on"], data["case_outcome"]) == ("client_request", "2026-04-10", "exited")
    assert instance(w, case_id).status == "completed"


def test_fourteen_reviews_keep_the_task_tree_shallow(w: World) -> None:
    case_id = admit(w)
    depths = []
    for n in range(14):
        assert advance(w, days=185) == 1, n
        review(w, case_id)
        depths.append(instance(w, case_id).tree_depth)
    assert case_data(w, case_id)["review_count"] == 14
    per_review = (depths[-1] - depths[0]) / 13
    assert depths[-1] < 200 and per_review <= 8, depths  # far below SpiffWorkflow's limit of 1000
    # Even the last of the 90 rounds client_in_system allows (maxLoopCount) stays below the depth warning.
    assert depths[0] + 90 * per_review < 800


# --- withdrawal of consent interrupts whatever the case is doing --------------------------------------
def test_consent_withdrawn_mid_assessment(w: World) -> None:
    case_id = refer(w)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    complete(
        w,
        w.caseworker,
        case_id,
        "initial_assessment",
        {"interview": {"held_on": "2026-03-02"}, "safety_risk": "none"},
    )
    assert set(open_tasks(w, case_id)) == {"assess_exploitation"}  # a task inside the called assessment
    deliver_message(
        w.svc, w.caseworker, "consent_withdrawn", {"withdrawn_by": "client", "date": "2026-03-03"}, case_id=case_id
    )
    data = case_data(w, case_id)
    assert (data["exit_reason"], data["case_outcome"], data["exited_on"]) == (
        "consent_withdrawn",
        "consent_withdrawn",
        None,
    )
    assert data["consent_withdrawal"] == {"withdrawn_by": "client", "date": "2026-03-03"}
    assert open_tasks(w, case_id) == {} and instance(w, case_id).status == "completed"
    with pytest.raises(Conflict):  # nothing waits for anything any more
        deliver_message(w.svc, w.caseworker, "consent_withdrawn", {}, case_id=case_id)


def test_consent_withdrawn_message_cancels_pending_disclosures(w: World) -> None:
    """The BPMN message and the case record agree: a withdrawal that reaches the processes also marks the
    case and cancels what was about to be shared on the strength of that consent."""
    case_id = refer(w)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    shared = record_disclosure(
        w.svc, w.caseworker, case_id, "Victim Support Finland", "consent", ["needs"], pending=True
    )
    deliver_message(w.svc, w.caseworker, "consent_withdrawn", {"withdrawn_by": "client"}, case_id=case_id)
    after = {d.id: d for d in list_disclosures(w.svc, w.caseworker, case_id)}
    assert after[shared.id].status == "cancelled"
    with pytest.raises(InvalidInput, match="legal basis"):  # nothing new can be shared on consent either
        record_disclosure(w.svc, w.caseworker, case_id, "Victim Support Finland", "consent", ["needs"])


def test_a_message_to_a_suspended_case_waits_for_the_supervisor(w: World) -> None:
    """A supervisor's hold is a hold: the message is refused with the reason (nothing moves the process on),
    yet a withdrawal of consent still takes effect on the case record at once."""
    case_id = refer(w)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    shared = record_disclosure(
        w.svc, w.caseworker, case_id, "Victim Support Finland", "consent", ["needs"], pending=True
    )
    suspend_instance(w.svc, w.supervisor, w.cases[case_id], reason="the police asked us to wait")
    with pytest.raises(Conflict, match="suspended"):
        deliver_message(w.svc, w.caseworker, "consent_withdrawn", {"withdrawn_by": "client"}, case_id=case_id)
    assert instance(w, case_id).status == "suspended" and "initial_assessment" in open_tasks(w, case_id)
    assert {d.id: d.status for d in list_disclosures(w.svc, w.caseworker, case_id)} == {shared.id: "cancelled"}
    resume_instance(w.svc, w.supervisor, w.cases[case_id], reason="the police answered")
    deliver_message(w.svc, w.caseworker, "consent_withdrawn", {"withdrawn_by": "client"}, case_id=case_id)
    assert case_data(w, case_id)["exit_reason"] == "consent_withdrawn" and open_tasks(w, case_id) == {}


@pytest.mark.parametrize("stage", ["referral", "decision", "reflection_period", "review", "hearing", "return"])
def test_consent_withdrawn_at_every_stage(w: World, stage: str) -> None:
    if stage == "referral":
        case_id = refer(w)
    elif stage == "decision":
        case_id = refer(w)
        accept_referral(w, case_id)
        record_consent(w, case_id)
        assess(w, case_id)
        complete(
            w,
            w.caseworker,
            case_id,
            "draft_decision",
            {"decision": {"outcome": "admitted", "reasoning": "Yes."}, "letter_language": "fi"},
        )
    elif stage == "reflection_period":
        case_id = refer(w, residence_status="undocumented", has_municipality_of_residence=False)
        accept_referral(w, case_id)
        record_consent(w, case_id)
        assess(w, case_id, residence_status="undocumented", municipality=False)
        decide(w, case_id)
        start_assistance(w, case_id)
        complete(
            w, w.decider, case_id, "grant_reflection_period", {"reflection_start": "2026-03-02", "reflection_days": 60}
        )
    else:
        case_id = admit(w)
        if stage in ("review", "hearing"):
            advance(w, days=185)
        if stage == "hearing":
            review(w, case_id, "propose_removal", "other")
        if stage == "return":
            deliver_message(w.svc, w.caseworker, "return_requested", {}, case_id=case_id)
    assert open_tasks(w, case_id), stage
    deliver_message(w.svc, w.caseworker, "consent_withdrawn", {"date": "2026-09-10"}, case_id=case_id)
    data = case_data(w, case_id)
    assert data["exit_reason"] == "consent_withdrawn" and data["case_status"] == "closed"
    admitted = stage not in ("referral", "decision")
    assert data["exited_on"] == ("2026-09-10" if admitted else None)
    assert data["case_outcome"] == ("exited" if admitted else "consent_withdrawn")
    assert open_tasks(w, case_id) == {} and instance(w, case_id).status == "completed"


def test_consent_withdrawn_while_a_client_waits(w: World) -> None:
    case_id = admit(w)
    assert instance(w, case_id).active_elements == ["await_client"]
    deliver_message(w.svc, w.supervisor, "consent_withdrawn", {}, case_id=case_id)
    data = case_data(w, case_id)
    assert (data["exit_reason"], data["exited_on"]) == ("consent_withdrawn", "2026-03-02")


def test_an_event_subprocess_started_by_a_message_is_refused_at_deploy(w: World) -> None:
    """Why client_case catches consent_withdrawn with boundary events: an interrupting event subprocess
    with a message start event is neither subscribed nor interrupting in SpiffWorkflow 3.2 (it is missing
    from waiting_events(), and sending the message fails), so the deploy lint refuses such a model
    rather than let it run and silently never react."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="work" name="Work"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formJsonSchemaFilename" value="ok-schema.json"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:endEvent id="end"/>'
        '<bpmn:subProcess id="on_withdrawal" triggeredByEvent="true">'
        '<bpmn:startEvent id="withdrawn" isInterrupting="true"><bpmn:messageEventDefinition id="m" messageRef="msg"/>'
        '</bpmn:startEvent><bpmn:endEvent id="stop"><bpmn:terminateEventDefinition id="t"/></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="g1" sourceRef="withdrawn" targetRef="stop"/></bpmn:subProcess>'
    )
    xml = one_lane_process(
        "event_subprocess_probe",
        body,
        [("start", "work"), ("work", "end")],
        nodes=["start", "work", "end", "on_withdrawal"],
        extra='<bpmn:message id="msg" name="consent_withdrawn"/>',
    )
    ok = b'{"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK"}}}'
    with pytest.raises(DeploymentRejected) as refused:
        deploy(w.svc, OWNER, [SourceFile("probe.bpmn", xml), SourceFile("ok-schema.json", ok)])
    assert "event-subprocess-message" in str(refused.value.report) and "withdrawn" in str(refused.value.report)


# --- a child ------------------------------------------------------------------------------------
def test_a_childs_path(w: World) -> None:
    client = {"given_names": "Lin", "birth_date": "2009-06-01", "gender": "female", "nationalities": ["VN"]}
    case_id = refer(
        w,
        client=client,
        residence_status="asylum_seeker",
        has_municipality_of_residence=False,
        reception_centre="Espoo reception centre",
        consent={"given": True, "date": "2026-03-01", "method": "verbal_recorded", "child_consent": True},
    )
    check = task(w, case_id, "check_referral")
    assert check.priority >= 10  # urgent: top of the inbox
    accept_referral(w, case_id)
    assert task_data(w, case_id, "record_consent")["consent_from"] == "child_and_guardian"
    complete(
        w,
        w.intake,
        case_id,
        "record_consent",
        {"consent": {"child_consent": True, "date": "2026-03-02", "method": "verbal_recorded"}},
    )
    assert "the guardian" in task_data(w, case_id, "obtain_consent")["consent_problem"]
    complete(w, w.intake, case_id, "obtain_consent", {"consent_can_be_obtained": True})
    complete(
        w,
        w.intake,
        case_id,
        "record_consent",
        {"consent": {"child_consent": True, "guardian_consent": True, "date": "2026-03-03", "method": "signed_form"}},
    )
    notification = task(w, case_id, "notify_child_welfare")
    assert notification.priority >= 20 and notification.lane == "Caseworker"
    complete(
        w,
        w.caseworker,
        case_id,
        "notify_child_welfare",
        {"child_welfare_notification": {"made_on": "2026-03-03", "recipient": "Espoo"}},
    )
    assess(
        w, case_id, residence_status="asylum_seeker", municipality=False, needs=["safe_accommodation", "family_tracing"]
    )
    tracing = task_data(w, case_id, "assess_family_tracing")
    assert tracing["service_provider"] == "reception_centre"
    assert tracing["decision_due_on"] == "2026-03-09"  # a child's decision target: 7 days
    complete(
        w,
        w.caseworker,
        case_id,
        "assess_family_tracing",
        {
            "family_tracing": {
                "child_heard": True,
                "representative_heard": True,
                "in_best_interest": True,
                "reasoning": "The child wishes it.",
            }
        },
    )
    complete(
        w, w.caseworker, case_id, "request_family_tracing", {"family_tracing_request": {"requested_on": "2026-03-04"}}
    )
    decide(w, case_id)
    start_assistance(w, case_id)
    data = case_data(w, case_id)
    assert (data["is_child"], data["urgent"], data["age_at_decision"]) == (True, True, 16)
    assert data["family_tracing"]["in_best_interest"] is True
    assert data["family_tracing_request"]["requested_on"] == "2026-03-04"
    assert data["child_welfare_notification"]["recipient"] == "Espoo"
    assert data["reflection_eligible"] is False and data["case_status"] == "client"


def test_no_tracing_against_the_childs_best_interest(w: World) -> None:
    client = {"birth_year": 2012, "gender": "male", "nationalities": ["AF"]}
    case_id = refer(
        w,
        client=client,
        consent={"given": True, "date": "2026-03-01", "method": "signed_form", "guardian_consent": True},
    )
    accept_referral(w, case_id)
    complete(
        w,
        w.intake,
        case_id,
        "record_consent",
        {"consent": {"guardian_consent": True, "date": "2026-03-02", "method": "signed_form"}},
    )
    complete(
        w,
        w.caseworker,
        case_id,
        "notify_child_welfare",
        {"child_welfare_notification": {"made_on": "2026-03-02", "recipient": "Helsinki"}},
    )
    assess(w, case_id)
    complete(
        w,
        w.caseworker,
        case_id,
        "assess_family_tracing",
        {"family_tracing": {"in_best_interest": False, "reasoning": "The parents are suspects."}},
    )
    assert set(open_tasks(w, case_id)) == {"draft_decision"}
