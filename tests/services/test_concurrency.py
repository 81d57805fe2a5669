"""Two completions racing for one task: exactly one wins, the other gets a clear Conflict."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from support import INTAKE, OWNER, files_of

from services.context import Services
from services.deploy import deploy
from services.errors import Conflict
from services.instances import start_instance
from services.tasks import complete_task
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, ProcessInstance


def _race(svc: Services, n: int, task_id: str) -> list[object]:
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = complete_task(
                svc, INTAKE, task_id, {"client_name": f"racer {i}", "received_on": "2026-03-01"}
            )
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("racers", [2, 6])
def test_racing_completions_one_wins(svc: Services, racers: int) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    info = start_instance(svc, OWNER, "case_flow", {})
    with UnitOfWork(svc.sessions) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(HumanTask.instance_id == info.id)).one()
    outcomes = _race(svc, racers, task_id)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in losers), losers
    with UnitOfWork(svc.sessions) as uow:
        completions = uow.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "task_completed")
        )
        assert completions == 1
        row = uow.session.get(ProcessInstance, info.id)
        assert row is not None and row.active_elements == ["assess", "assess_overdue"]


def test_stale_instance_write_is_a_conflict(svc: Services) -> None:
    """The optimistic version counter: a writer that read an old version loses at commit."""
    deploy(svc, OWNER, files_of("case_flow"))
    info = start_instance(svc, OWNER, "case_flow", {})
    stale = UnitOfWork(svc.sessions)
    with stale:
        row = stale.session.get(ProcessInstance, info.id)
        assert row is not None
        with UnitOfWork(svc.sessions, write=True) as other:
            fresh = other.session.get(ProcessInstance, info.id)
            assert fresh is not None
            fresh.status = "suspended"
            other.commit()
        row.status = "cancelled"
        with pytest.raises(Conflict):
            stale.commit()
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, info.id)
        assert row is not None and row.status == "suspended"
