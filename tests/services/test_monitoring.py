"""The monitoring dashboard, the deadline view and the instance list, over real instances."""

from __future__ import annotations

from datetime import date

import pytest
from monitoring_kit import deploy_flow, person, start_flow, stat_person
from support import FakeClock
from support_api import open_task

from services.context import Services
from services.deadlines import kind_of_variable, list_deadlines, parse_due
from services.errors import Forbidden, InvalidInput, NotFound
from services.inbox import list_filters
from services.incidents import open_incidents
from services.monitoring import dashboard, percentile
from services.monitoring_list import (
    InstanceQuery,
    delete_instance_filter,
    list_instance_filters,
    list_instances,
    query_from_dict,
    save_instance_filter,
)
from services.tasks import claim, complete_task
from services.uow import UnitOfWork
from store.models import Case


def test_percentiles_interpolate_like_statistics_quantiles() -> None:
    assert percentile([], 0.5) is None
    assert percentile([(10, 1)], 0.9) == 10
    assert percentile([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5) == 2.5
    assert percentile([(10, 9), (100, 1)], 0.9) == 19.0  # 9 tens and one hundred: rank 8.1


def test_deadline_kinds_come_from_the_variable_names() -> None:
    assert kind_of_variable("decision_due_on") == "decision"
    assert kind_of_variable("reflection_end_at") == "reflection_end"
    assert kind_of_variable("removal_appeal_deadline_at") == "appeal_window"
    assert kind_of_variable("next_review_at") == "review"
    assert kind_of_variable("hearing_deadline") == "hearing"
    assert kind_of_variable("reflection_reminder_at") is None
    assert parse_due("2026-03-10") is not None and parse_due("2026-03-10").isoformat() == "2026-03-11T00:00:00+00:00"  # type: ignore[union-attr]
    assert parse_due("not a date") is None


def test_the_dashboard_counts_everything_as_of_now(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    sue = person(svc, "sue", ["supervisor"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    deadlines = [{"kind": "appeal_deadline", "due_at": "2026-03-09", "basis": "808/2019 § 13"}]
    first, i1 = start_flow(svc, "AUT-2026-000001", facts={"deadlines": deadlines})
    _second, i2 = start_flow(svc, "AUT-2026-000002")
    start_flow(svc, "AUT-2026-000003", data={"decision_due_on": "2026-02-20"})
    claim(svc, ida, open_task(svc, i1, "register"))
    complete_task(svc, ida, open_task(svc, i2, "register"), {"note": "ok"})  # i2 now waits at review + timer
    stat_person(svc, received=date(2025, 6, 1), decided=date(2025, 6, 11))
    stat_person(svc, received=date(2025, 7, 1), decided=date(2025, 8, 1), outcome="rejected")
    stat_person(svc, received=date(2024, 1, 1), decided=date(2024, 2, 1))  # older than 12 months
    clock.advance(days=3)  # the register tasks (due in 2 days) are now overdue

    board = dashboard(svc, sue)
    assert board.open_cases == 3
    assert [(p.process_id, p.running, p.error, p.suspended) for p in board.processes] == [("monitoring_flow", 3, 0, 0)]
    stages = {(s.element_id, s.instances) for s in board.stages}
    assert ("register", 2) in stages and ("review", 1) in stages and ("period_over", 1) in stages
    lanes = {lane.lane: (lane.open, lane.unassigned, lane.overdue) for lane in board.lanes}
    assert lanes == {"Intake": (2, 1, 2), "Caseworker": (1, 1, 0)}
    assert [(p.username, p.open, p.overdue) for p in board.people] == [("ida", 1, 1)]
    assert board.overdue_count == 2 and {t.case_reference for t in board.overdue} == {
        "AUT-2026-000001",
        "AUT-2026-000003",
    }
    soon = {(d.kind, d.source, d.case_reference) for d in board.ending_soon}
    assert soon == {("appeal_window", "case", "AUT-2026-000001"), ("reflection_end", "timer", "AUT-2026-000002")}
    assert board.decision_time.decisions == 2
    assert (board.decision_time.median_days, board.decision_time.p90_days) == (20.5, 28.9)

    with pytest.raises(Forbidden):
        dashboard(svc, ida)
    assert first


def test_the_deadline_view_sorts_by_urgency_with_the_basis(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    sue = person(svc, "sue", ["supervisor"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    facts = {
        "deadlines": [
            {"kind": "hearing_deadline", "due_at": "2026-03-20", "basis": "434/2003 § 34"},
            {"kind": "reflection_end", "due_at": "2026-03-12T00:00:00+00:00", "basis": "Aliens Act 301/2004 § 52 b"},
            {"kind": "appeal_deadline", "due_at": "2026-01-01", "basis": "past: not listed"},
            "not a deadline",
        ]
    }
    _case, instance = start_flow(svc, "AUT-2026-000001", facts=facts)
    complete_task(svc, ida, open_task(svc, instance, "register"), {"note": "x"})

    result = list_deadlines(svc, sue, days=30)
    rows = [(d.kind, d.source, d.due_at.date().isoformat()) for d in result.items]
    assert rows == [
        ("decision", "task", "2026-03-10"),
        ("reflection_end", "timer", "2026-03-12"),  # the timer and the fact are one row
        ("hearing", "case", "2026-03-21"),  # a date alone: the end of that day
    ]
    task, timer, hearing = result.items
    assert "434/2003 § 23" in task.basis and task.element_id == "review"
    assert timer.basis == "Aliens Act 301/2004 § 52 b" and timer.title == "Period over"
    assert hearing.basis == "434/2003 § 34" and hearing.case_reference == "AUT-2026-000001"
    assert list_deadlines(svc, sue, days=7).items == []
    assert [d.kind for d in list_deadlines(svc, sue, days=14).items] == ["decision", "reflection_end"]
    assert [d.kind for d in list_deadlines(svc, sue, days=30, kind="hearing").items] == ["hearing"]
    clock.advance(days=9)
    late = list_deadlines(svc, sue, days=7).items
    assert late[0].kind == "decision" and late[0].overdue
    with pytest.raises(Forbidden):
        list_deadlines(svc, ida)
    with pytest.raises(InvalidInput):
        list_deadlines(svc, sue, kind="nonsense")


def test_the_instance_list_filters_pages_and_hides_cases_from_process_owners(svc: Services, clock: FakeClock) -> None:
    deploy_flow(svc)
    sue = person(svc, "sue", ["supervisor"])
    olga = person(svc, "olga", ["process_owner"])
    ida = person(svc, "ida", ["intake"], team="Helsinki")
    ids = []
    for n in range(1, 6):
        ids.append(start_flow(svc, f"AUT-2026-00000{n}")[1])
        clock.advance(hours=1)
    complete_task(svc, ida, open_task(svc, ids[0], "register"), {"note": "x"})
    clock.advance(days=3)

    everything = list_instances(svc, sue, InstanceQuery())
    assert everything.total == 5 and everything.rows[0].id == ids[0]  # changed last
    assert list_instances(svc, sue, InstanceQuery(lane="Caseworker")).total == 1
    overdue = list_instances(svc, sue, InstanceQuery(overdue=True))
    assert {r.id for r in overdue.rows} == set(ids[1:]) and all(r.overdue for r in overdue.rows)
    by_ref = list_instances(svc, sue, InstanceQuery(case_reference="aut-2026-000003"))
    assert [r.case_reference for r in by_ref.rows] == ["AUT-2026-000003"]
    page = list_instances(svc, sue, InstanceQuery(sort="started", order="asc", per_page=2, page=2))
    assert [r.id for r in page.rows] == ids[2:4] and page.total == 5
    assert list_instances(svc, sue, InstanceQuery(process="monitoring_flow", version=1, state="open")).total == 5
    assert list_instances(svc, sue, InstanceQuery(version=2)).total == 0
    assert list_instances(svc, sue, InstanceQuery(state="completed")).total == 0
    started = ids and list_instances(
        svc, sue, InstanceQuery(started_after=clock.now.replace(day=2, hour=11), started_before=clock.now)
    )
    assert started.total == 3

    seen_by_owner = list_instances(svc, olga, InstanceQuery())
    assert seen_by_owner.total == 5 and {r.case_reference for r in seen_by_owner.rows} == {None}
    assert {r.case_id for r in seen_by_owner.rows} == {None}
    with pytest.raises(InvalidInput):
        list_instances(svc, olga, InstanceQuery(case_reference="AUT-2026-000001"))
    with pytest.raises(Forbidden):
        list_instances(svc, ida, InstanceQuery())
    with pytest.raises(InvalidInput):
        list_instances(svc, sue, InstanceQuery(per_page=0))


def test_saved_instance_filters_stay_out_of_the_inbox(svc: Services) -> None:
    sue = person(svc, "sue", ["supervisor"])
    olga = person(svc, "olga", ["process_owner"])
    saved = save_instance_filter(svc, sue, "late ones", InstanceQuery(overdue=True, state="open"))
    assert saved.name == "late ones" and saved.query == {"overdue": True, "state": "open"}
    assert query_from_dict(saved.query) == InstanceQuery(overdue=True, state="open")
    assert [f.name for f in list_instance_filters(svc, sue)] == ["late ones"]
    assert list_filters(svc, sue) == []  # the inbox does not list them
    assert list_instance_filters(svc, olga) == []
    with pytest.raises(NotFound):
        delete_instance_filter(svc, olga, saved.id)
    with pytest.raises(InvalidInput):
        save_instance_filter(svc, olga, "mine", InstanceQuery(case_reference="AUT-2026-000001"))
    with pytest.raises(InvalidInput):
        query_from_dict({"colour": "red"})
    delete_instance_filter(svc, sue, saved.id)
    assert list_instance_filters(svc, sue) == []


def test_incidents_reach_the_dashboard(svc: Services) -> None:
    from support import OWNER, script_process

    from services.deploy import deploy
    from services.instances import start_instance

    deploy(svc, OWNER, script_process("broken", "x = 1 / 0"))
    sue = person(svc, "sue", ["supervisor"])
    info = start_instance(svc, OWNER, "broken", {})
    board = dashboard(svc, sue)
    assert board.open_incidents == 1 and board.incidents[0].instance_id == info.id
    assert board.incidents[0].kind == "script_error" and board.incidents[0].element_id == "script"
    assert [(p.process_id, p.error) for p in board.processes] == [("broken", 1)]
    assert len(open_incidents(svc, sue)) == 1
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.get(Case, 1) is None
