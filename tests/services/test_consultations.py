"""The anonymous-consultation log: recording, who sees and changes what, and the statistics section."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from support import CASEWORKER, INTAKE, SUPERVISOR, FakeClock

from cli.demo_consultations import seed_consultations
from services.consultations import (
    ConsultationInput,
    correct_consultation,
    delete_consultation,
    list_consultations,
    record_consultation,
)
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput, NotFound
from services.statistics import annual_statistics
from services.uow import UnitOfWork
from store.models import AuditEvent, Consultation

INTAKE2 = Actor("ivan", frozenset({"intake"}))


def entry(day: date | None = None, referrer: str = "police", topic: str = "is_it_trafficking") -> ConsultationInput:
    return ConsultationInput(day, referrer, topic, "advice_given")


def audit_actions(svc: Services) -> list[tuple[str, dict[str, object]]]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action.like("consultation_%"))).all()
        return [(r.action, dict(r.details)) for r in rows]


def test_the_table_holds_codes_and_a_date_only() -> None:
    # A free-text or time-of-day column would invite identifying details: this test fails if one is added.
    assert {c.name: str(c.type) for c in Consultation.__table__.columns} == {
        "id": "INTEGER",
        "consulted_on": "DATE",
        "referrer_type": "VARCHAR(32)",
        "topic": "VARCHAR(32)",
        "outcome": "VARCHAR(32)",
        "recorded_by": "VARCHAR(100)",
        "recorded_at": "DATETIME",
    }


def test_intake_and_caseworkers_record_with_today_as_the_default(svc: Services) -> None:
    first = record_consultation(svc, INTAKE, entry())
    assert (first.consulted_on, first.recorded_by, first.topic) == (date(2026, 3, 2), "ida", "is_it_trafficking")
    back_dated = record_consultation(svc, CASEWORKER, entry(date(2026, 2, 27), "ngo", "safety"))
    assert back_dated.consulted_on == date(2026, 2, 27) and back_dated.editable
    assert audit_actions(svc) == [
        ("consultation_recorded", {"id": first.id}),
        ("consultation_recorded", {"id": back_dated.id}),
    ]
    for who in (SUPERVISOR, Actor("stella", frozenset({"statistician"})), Actor("rita", frozenset({"referrer"}))):
        with pytest.raises(Forbidden):
            record_consultation(svc, who, entry())


def test_bad_codes_and_dates_are_named_per_field(svc: Services) -> None:
    with pytest.raises(InvalidInput) as bad:
        record_consultation(svc, INTAKE, ConsultationInput(date(2026, 3, 3), "mayor", "", "advice_given"))
    assert set(bad.value.errors) == {"consulted_on", "referrer_type", "topic"}
    assert "future" in bad.value.errors["consulted_on"]
    with pytest.raises(InvalidInput) as bad:
        record_consultation(svc, INTAKE, ConsultationInput(date(1999, 12, 31), "police", "safety", "fine"))
    assert set(bad.value.errors) == {"consulted_on", "outcome"}
    assert list_consultations(svc, SUPERVISOR) == []


def test_intake_and_supervisors_list_a_period_caseworkers_their_own(svc: Services) -> None:
    a = record_consultation(svc, INTAKE, entry(date(2026, 1, 10)))
    b = record_consultation(svc, CASEWORKER, entry(date(2026, 2, 20)))
    c = record_consultation(svc, INTAKE2, entry(date(2026, 3, 1)))
    assert [v.id for v in list_consultations(svc, SUPERVISOR)] == [c.id, b.id, a.id]  # newest first
    period = list_consultations(svc, INTAKE, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert [v.id for v in period] == [b.id]
    assert [v.id for v in list_consultations(svc, CASEWORKER)] == [b.id]
    with pytest.raises(InvalidInput):
        list_consultations(svc, INTAKE, start=date(2026, 3, 1), end=date(2026, 2, 1))
    with pytest.raises(Forbidden):
        list_consultations(svc, Actor("dora", frozenset({"decider"})))


def test_the_recorder_corrects_within_the_window_then_only_a_supervisor(svc: Services, clock: FakeClock) -> None:
    mine = record_consultation(svc, INTAKE, entry())
    fixed = correct_consultation(svc, INTAKE, mine.id, entry(topic="child_case"))
    assert fixed.topic == "child_case"
    with pytest.raises(Forbidden):  # intake sees it, but only its recorder may change it
        correct_consultation(svc, INTAKE2, mine.id, entry(topic="safety"))
    with pytest.raises(NotFound):  # a caseworker does not even see another's entry
        delete_consultation(svc, CASEWORKER, mine.id)
    clock.advance(hours=25)
    assert not list_consultations(svc, INTAKE)[0].editable
    with pytest.raises(Forbidden):
        delete_consultation(svc, INTAKE, mine.id)
    correct_consultation(svc, SUPERVISOR, mine.id, entry(referrer="ngo", topic="child_case"))
    delete_consultation(svc, SUPERVISOR, mine.id)
    assert list_consultations(svc, SUPERVISOR) == []
    actions = audit_actions(svc)
    assert [a for a, _ in actions] == [
        "consultation_recorded",
        "consultation_corrected",
        "consultation_corrected",
        "consultation_deleted",
    ]
    assert actions[1][1]["before"] == {
        "consulted_on": "2026-03-02",
        "referrer_type": "police",
        "topic": "is_it_trafficking",
        "outcome": "advice_given",
    }
    assert actions[2][1]["after"]["referrer_type"] == "ngo"  # type: ignore[index]


def test_the_annual_statistics_count_consultations_but_never_as_applications(svc: Services) -> None:
    for topic in ("safety",) * 6 + ("child_case",) * 2:
        record_consultation(svc, INTAKE, entry(date(2026, 2, 1), "police", topic))
    record_consultation(svc, INTAKE, entry(date(2025, 12, 31), "ngo"))  # another year
    t = annual_statistics(svc, SUPERVISOR, 2026).tables
    section = t["anonymous_consultations"]
    assert section["total"] == 8
    assert section["by_referrer_type"]["police"] == 8 and section["by_referrer_type"]["ngo"] == 0
    assert section["by_topic"] == {
        "is_it_trafficking": 0,
        "referral_procedure": 0,
        "services_and_support": 0,
        "residence_permit": 0,
        "child_case": 2,
        "safety": 6,
        "other": 0,
    }
    assert section["by_outcome"]["advice_given"] == 8
    assert t["applications"]["total"] == 0 and t["applications_by_year"]["2026"] == 0
    assert annual_statistics(svc, SUPERVISOR, 2025).tables["anonymous_consultations"]["total"] == 1

    published = annual_statistics(svc, SUPERVISOR, 2026, publish=True)
    by_topic = published.tables["anonymous_consultations"]["by_topic"]
    assert by_topic["child_case"] == "<5"
    assert by_topic["safety"] == "x"  # else child_case = total - safety
    assert published.tables["anonymous_consultations"]["total"] == 8
    assert "anonymous_consultations.by_topic.safety" in published.hidden["secondary"]


def test_the_demo_seeds_a_dozen_calls_over_the_past_year_once(svc: Services) -> None:
    assert list(seed_consultations(svc, "intake")) == ["12 anonymous consultations"]
    assert list(seed_consultations(svc, "intake")) == []  # only on a database without consultations
    days = [v.consulted_on for v in list_consultations(svc, SUPERVISOR)]
    assert len(days) == 12 and max(days) <= date(2026, 3, 2) and min(days) >= date(2025, 3, 2)
    assert len({d.month for d in days}) >= 10
    both_years = [
        annual_statistics(svc, SUPERVISOR, y).tables["anonymous_consultations"]["total"] for y in (2025, 2026)
    ]
    assert sum(both_years) == 12 and min(both_years) > 0
