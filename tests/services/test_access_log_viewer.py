"""The access-log viewer's service side: filters by case reference and period, the CSV export for a
data subject's request (audited), and unusual access flagged."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from monitoring_kit import person
from support import FakeClock
from support_api import team_id

from services.access_log import export_access, list_access, record_read, unusual_access
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.uow import UnitOfWork
from store.models import AuditEvent, Case


def _cases(svc: Services, count: int) -> list[int]:
    tid = team_id(svc, "Helsinki")
    with UnitOfWork(svc.sessions, write=True) as uow:
        rows = [Case(reference=f"AUT-2026-{n:06d}", team_id=tid, status="open", facts={}) for n in range(1, count + 1)]
        uow.session.add_all(rows)
        uow.session.flush()
        uow.commit()
        return [r.id for r in rows]


def _read(svc: Services, who: Actor, case_id: int, what: str = "case") -> None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        record_read(uow.session, who, case_id, what, "page", at=svc.now())
        uow.commit()


def test_filters_and_the_export_for_a_data_subject(svc: Services, clock: FakeClock) -> None:
    sue = person(svc, "sue", ["supervisor"])
    carl = Actor("carl", frozenset({"caseworker"}))
    first, second = _cases(svc, 2)
    start = clock.now
    _read(svc, carl, first)
    clock.advance(days=1)
    _read(svc, carl, second)
    _read(svc, sue, first, "instance 1 history")

    by_ref = list_access(svc, sue, case_reference="aut-2026-000001")
    assert [(e.username, e.what) for e in by_ref.entries] == [("sue", "instance 1 history"), ("carl", "case")]
    assert list_access(svc, sue, case_reference="AUT-2026-999999").total == 0
    assert list_access(svc, sue, since=start + timedelta(hours=1)).total == 2
    assert list_access(svc, sue, until=start + timedelta(hours=1), username="carl").total == 1

    text = export_access(svc, sue, case_reference="AUT-2026-000001")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["time_utc", "user", "case_id", "case_reference", "what", "channel"]
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [
        ("carl", "AUT-2026-000001", "case"),
        ("sue", "AUT-2026-000001", "instance 1 history"),
    ]
    with UnitOfWork(svc.sessions) as uow:
        exported = uow.session.query(AuditEvent).filter_by(action="access_log_exported").one()
    assert exported.actor == "sue" and exported.details == {"rows": 2, "case_reference": "AUT-2026-000001"}
    with pytest.raises(Forbidden):
        export_access(svc, carl, case_id=first)


def test_many_cases_in_a_short_time_are_flagged(svc: Services, clock: FakeClock) -> None:
    sue = person(svc, "sue", ["supervisor"])
    nosy = Actor("nosy", frozenset({"caseworker"}))
    calm = Actor("calm", frozenset({"caseworker"}))
    cases = _cases(svc, 30)
    for case_id in cases[:25]:  # 25 distinct cases in 25 minutes: 10 or more in every 10 minutes
        _read(svc, nosy, case_id)
        _read(svc, calm, cases[0])  # one case read again and again is not unusual
        clock.advance(minutes=1)
    clock.advance(hours=2)
    for case_id in cases[:3]:
        _read(svc, nosy, case_id)

    assert unusual_access(svc, sue) == []  # default: more than 20 cases within 10 minutes
    flags = unusual_access(svc, sue, threshold=8, window_minutes=10)
    assert [(f.username, f.cases) for f in flags] == [("nosy", 10)]
    assert flags[0].last_at - flags[0].first_at >= timedelta(minutes=15)  # one flag for the whole burst
    assert unusual_access(svc, sue, threshold=24, window_minutes=30)[0].cases == 25
    assert unusual_access(svc, sue, threshold=8, since=clock.now - timedelta(minutes=30)) == []
    with pytest.raises(InvalidInput):
        unusual_access(svc, sue, threshold=0)
    with pytest.raises(Forbidden):
        unusual_access(svc, nosy)
