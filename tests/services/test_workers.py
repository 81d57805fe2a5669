"""Timer workers: several at once, every due timer fires exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from support import OWNER, FakeClock, files_of

from config import Settings
from services.context import Services
from services.deploy import deploy
from services.instances import start_instance
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, ProcessInstance


def _start_many(svc: Services, n: int) -> None:
    deploy(svc, OWNER, files_of("timer_wait"))
    for _ in range(n):
        start_instance(svc, OWNER, "timer_wait", {})


def _run_workers(settings: Settings, clock: FakeClock, workers: int) -> list[int]:
    """Each worker has its own Services (own connection pool), as separate processes would."""
    due = clock.advance(days=2)
    pools = [Services.build(settings, clock=clock) for _ in range(workers)]
    fired = [0] * workers
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            while True:
                n = fire_due_timers(pools[i], now=due, limit=10)
                fired[i] += n
                if n == 0:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for p in pools:
        p.close()
    assert not errors, errors
    return fired


def _assert_each_fired_once(svc: Services, n: int) -> None:
    with UnitOfWork(svc.sessions) as uow:
        per_instance = Counter(
            uow.session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")).all()
        )
        assert len(per_instance) == n and set(per_instance.values()) == {1}
        follow_ups = uow.session.scalar(
            select(func.count())
            .select_from(HumanTask)
            .where(HumanTask.bpmn_id == "follow_up", HumanTask.status == "open")
        )
        assert follow_ups == n
        waiting = uow.session.scalar(
            select(func.count()).select_from(ProcessInstance).where(ProcessInstance.next_timer_at.is_not(None))
        )
        assert waiting == 0


def test_two_workers_fire_200_timers_exactly_once_on_postgresql(
    svc: Services, settings: Settings, clock: FakeClock, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is the PostgreSQL path; SQLite is covered by the next test")
    _start_many(svc, 200)
    fired = _run_workers(settings, clock, 2)
    assert sum(fired) == 200
    assert all(f > 0 for f in fired), f"both workers should have taken work: {fired}"
    _assert_each_fired_once(svc, 200)


def test_two_workers_on_sqlite_serialise(
    svc: Services, settings: Settings, clock: FakeClock, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite path")
    _start_many(svc, 40)
    fired = _run_workers(settings, clock, 2)
    assert sum(fired) == 40
    _assert_each_fired_once(svc, 40)


def test_timer_not_due_does_not_fire(svc: Services, clock: FakeClock) -> None:
    _start_many(svc, 3)
    assert fire_due_timers(svc, now=clock.advance(hours=23)) == 0
    assert fire_due_timers(svc, now=clock.advance(hours=2)) == 3
    assert fire_due_timers(svc, now=clock.advance(days=5)) == 0
