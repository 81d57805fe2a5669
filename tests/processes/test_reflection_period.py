"""The reflection period of an undocumented client: granted for 30 days to 6 months, a reminder 7 days
before the end, extension up to the maximum, interruption on a coded ground, and expiry — with the end
date in case data driving the timers (so redeploying and migrating the instance keeps it)."""

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
    model_files,
    open_tasks,
    record_consent,
    refer,
    start_assistance,
    task,
    task_data,
)
from support import OWNER, SUPERVISOR

from engine import SourceFile
from services.deploy import deploy
from services.errors import InvalidInput
from services.instances import get_instance
from services.migration import migrate_instance


def undocumented_client(w: World) -> int:
    case_id = refer(w, residence_status="undocumented", has_municipality_of_residence=False, wellbeing_county=None)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    assess(w, case_id, residence_status="undocumented", municipality=False)
    decide(w, case_id)
    start_assistance(w, case_id)
    return case_id


def grant(w: World, case_id: int, days: int, start: str = "2026-03-02") -> None:
    complete(w, w.decider, case_id, "grant_reflection_period", {"reflection_start": start, "reflection_days": days})


def test_only_an_undocumented_client_gets_one(w: World) -> None:
    documented = refer(w)
    accept_referral(w, documented)
    record_consent(w, documented)
    assess(w, documented)
    decide(w, documented)
    start_assistance(w, documented)
    assert open_tasks(w, documented) == {} and instance(w, documented).active_elements == ["await_client"]
    case_id = undocumented_client(w)
    assert set(open_tasks(w, case_id)) == {"grant_reflection_period"}
    assert task(w, case_id, "grant_reflection_period").lane == "Decider"
    assert task_data(w, case_id, "grant_reflection_period")["service_provider"] == "assistance_system"


def test_refuses_29_days_and_7_months(w: World) -> None:
    case_id = undocumented_client(w)
    for days in (29, 212):  # 7 months from 2 March = 214 days
        with pytest.raises(InvalidInput) as bad:
            grant(w, case_id, days)
        assert "reflection_days" in bad.value.errors
    # The form takes up to 184 days; the rule counts calendar months: from 31 August, 6 months end in February.
    grant(w, case_id, 184, start="2026-08-31")
    assert "at most to 2027-02-27" in task_data(w, case_id, "grant_reflection_period")["reflection_error"]
    grant(w, case_id, 184)
    assert task_data(w, case_id, "follow_reflection_period")["reflection_period"]["end"] == "2026-09-01"


def test_reminder_then_expiry(w: World) -> None:
    case_id = undocumented_client(w)
    grant(w, case_id, 30)
    data = task_data(w, case_id, "follow_reflection_period")
    assert data["reflection_period"] == {
        "start": "2026-03-02",
        "end": "2026-03-31",
        "extended_to": None,
        "interrupted_on": None,
        "interruption_ground": None,
    }
    assert data["reflection_end_at"] == "2026-04-01T00:00:00+00:00"
    assert data["reflection_reminder_at"] == "2026-03-25T00:00:00+00:00"
    assert advance_to(w, "2026-03-24") == 0
    assert advance_to(w, "2026-03-25") == 1
    assert set(open_tasks(w, case_id)) == {"reflection_ending"}  # the reminder
    assert task(w, case_id, "reflection_ending").priority >= 10
    assert advance_to(w, "2026-03-31", hour=23) == 0
    assert advance(w, days=0.1) == 1
    data = case_data(w, case_id)
    assert (data["reflection_outcome"], data["reflection_ended_on"]) == ("expired", "2026-03-31")
    assert data["reflection_period"]["end"] == "2026-03-31" and data["case_status"] == "client"
    assert open_tasks(w, case_id) == {} and instance(w, case_id).active_elements == ["await_client"]


def test_extension_up_to_the_maximum(w: World) -> None:
    case_id = undocumented_client(w)
    grant(w, case_id, 30)
    advance_to(w, "2026-03-25")
    proposal = {"reflection_action": "extend", "reflection_change_reason": "Needs time to decide."}
    with pytest.raises(InvalidInput):  # an extension names its new end
        complete(w, w.caseworker, case_id, "reflection_ending", proposal)
    complete(w, w.caseworker, case_id, "reflection_ending", {**proposal, "proposed_end": "2026-09-02"})
    # 6 months from 2 March end on 1 September: back to the caseworker with the reason (the reminder
    # is already due, so it is the reminder task again).
    assert set(open_tasks(w, case_id)) == {"reflection_ending"}
    assert "at most to 2026-09-01" in task_data(w, case_id, "reflection_ending")["reflection_error"]
    complete(w, w.caseworker, case_id, "reflection_ending", {**proposal, "proposed_end": "2026-05-31"})
    complete(w, w.decider, case_id, "decide_reflection_change", {"reflection_change_approved": True})
    data = task_data(w, case_id, "follow_reflection_period")
    assert data["reflection_period"]["extended_to"] == "2026-05-31" and data["reflection_period"]["end"] == "2026-03-31"
    assert (data["reflection_end_at"], data["reflection_reminder_at"]) == (
        "2026-06-01T00:00:00+00:00",
        "2026-05-25T00:00:00+00:00",
    )
    assert advance_to(w, "2026-04-02") == 0  # the old end passes without effect
    assert advance_to(w, "2026-05-25") == 1
    assert advance_to(w, "2026-06-01") == 1
    data = case_data(w, case_id)
    assert (data["reflection_outcome"], data["reflection_ended_on"]) == ("expired", "2026-05-31")


def test_interruption_on_a_ground(w: World) -> None:
    case_id = undocumented_client(w)
    grant(w, case_id, 90)
    advance(w, days=10)
    proposal = {"reflection_action": "interrupt", "reflection_change_reason": "Renewed contact."}
    with pytest.raises(InvalidInput):  # an interruption names its ground from the code list
        complete(w, w.caseworker, case_id, "follow_reflection_period", proposal)
    with pytest.raises(InvalidInput):
        complete(w, w.caseworker, case_id, "follow_reflection_period", {**proposal, "interruption_ground": "bored"})
    ground = {"interruption_ground": "renewed_contact_with_suspects"}
    complete(w, w.caseworker, case_id, "follow_reflection_period", {**proposal, **ground})
    complete(w, w.decider, case_id, "decide_reflection_change", {"reflection_change_approved": False})
    assert set(open_tasks(w, case_id)) == {"follow_reflection_period"}  # refused: the period runs on
    complete(w, w.caseworker, case_id, "follow_reflection_period", {**proposal, **ground})
    complete(w, w.decider, case_id, "decide_reflection_change", {"reflection_change_approved": True})
    data = case_data(w, case_id)
    assert data["reflection_outcome"] == "interrupted"
    assert data["reflection_period"]["interrupted_on"] == "2026-03-12"
    assert data["reflection_period"]["interruption_ground"] == "renewed_contact_with_suspects"
    assert advance(w, days=200) == 1 and set(open_tasks(w, case_id)) == {"review_need"}  # only the review now


def test_an_overdue_end_stays_overdue_after_redeploy_and_migration(w: World) -> None:
    case_id = undocumented_client(w)
    grant(w, case_id, 30)
    advance_to(w, "2026-03-25")
    assert set(open_tasks(w, case_id)) == {"reflection_ending"}
    # The worker was down: the end passed without the timer firing. Meanwhile a new version is deployed.
    w.clock.advance(days=10)
    files = [
        SourceFile(f.name, f.content.replace(b'name="Record the end"', b'name="Record the end of the period"'))
        if f.name == "reflection_period.bpmn"
        else f
        for f in model_files()
    ]
    new = {v.process_id: v for v in deploy(w.svc, OWNER, files, change_note="renamed").versions}
    target = new["client_case"]
    assert target.created
    moved = migrate_instance(w.svc, OWNER, instance(w, case_id).id, target.id, force=True)
    assert moved.migrated
    advance(w, days=0)
    info = get_instance(w.svc, SUPERVISOR, instance(w, case_id).id)
    assert info.version == 2
    # Still overdue on the new version: the period ended at once (on its own last day), instead of a
    # timer restarted by the migration keeping the client in it until 2 May.
    data = case_data(w, case_id)
    assert (data["reflection_outcome"], data["reflection_ended_on"]) == ("expired", "2026-03-31")
    assert info.active_elements == ["await_client"] and open_tasks(w, case_id) == {}
    assert info.next_timer_at is not None and info.next_timer_at.isoformat() == "2026-09-02T00:00:00+00:00"
