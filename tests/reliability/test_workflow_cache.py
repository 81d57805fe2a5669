"""The restored-workflow cache (engine.workflow_cache) never hands out a stale workflow.

Two `Services` on one database stand for two server processes: each has its own cache. Whatever one
of them changes, the other must see on its next use case, as it would without any cache; a
transaction that rolls back must leave nothing cached; and a hit must be a real hit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from support import FakeClock
from support_api import actor, case_with_flow, deploy_case_flow, open_task, user

from services.context import Services
from services.runtime import keep_after_commit, lock_instance, restore
from services.tasks import complete_task
from services.uow import UnitOfWork
from store.models import ProcessInstance


@pytest.fixture
def other(svc: Services, clock: FakeClock) -> Iterator[Services]:
    """A second 'process' on the same database, with its own engine and cache."""
    second = Services.build(svc.settings, clock=clock)
    yield second
    second.close()


def _stored_data(svc: Services, instance_id: int) -> dict[str, object]:
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        restored = restore(svc, uow, row)
        return restored.snapshot().data


def test_a_change_by_another_process_is_never_hidden_by_the_cache(svc: Services, other: Services) -> None:
    deploy_case_flow(svc)
    user(svc, "ann", ["intake", "caseworker"], team="A")
    _case, instance = case_with_flow(svc, "A", reference="AUT-2026-000001")
    ann = actor(svc, "ann")

    # This process completes `register` and keeps the workflow.
    complete_task(svc, ann, open_task(svc, instance, "register"), {"client_name": "Anna", "received_on": "2026-03-01"})
    hits = svc.engine.workflows.hits
    # The other process completes `assess` meanwhile (its cache has nothing: it restores).
    assess = open_task(other, instance, "assess")
    complete_task(other, ann, assess, {"risk_level": 4, "notes": "from the other process"})
    assert other.engine.workflows.hits == 0
    # Back here: the kept workflow is from before `assess`; it must not be used.
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance)
        assert row is not None
        state = restore(svc, uow, row, reuse=True).snapshot()
    assert svc.engine.workflows.hits == hits
    assert state.data.get("risk_level") == 4 and "assess" not in state.active_element_ids


def test_consecutive_completions_in_one_process_hit_the_cache_and_store_the_same(svc: Services) -> None:
    deploy_case_flow(svc)
    user(svc, "ann", ["intake", "caseworker"], team="A")
    _case, instance = case_with_flow(svc, "A", reference="AUT-2026-000001")
    ann = actor(svc, "ann")
    statements: list[str] = []
    listen = (svc.db, "before_cursor_execute", lambda *a: statements.append(a[2]))
    complete_task(svc, ann, open_task(svc, instance, "register"), {"client_name": "Anna", "received_on": "2026-03-01"})
    hits = svc.engine.workflows.hits
    event.listen(*listen)
    try:
        complete_task(svc, ann, open_task(svc, instance, "assess"), {"risk_level": 2, "notes": "n"})
    finally:
        event.remove(*listen)
    assert svc.engine.workflows.hits == hits + 1
    assert _stored_data(svc, instance)["risk_level"] == 2
    assert sum(s.lstrip().upper().startswith("UPDATE PROCESS_INSTANCE") for s in statements) == 1


def test_a_rolled_back_use_case_leaves_nothing_cached(svc: Services) -> None:
    deploy_case_flow(svc)
    user(svc, "ann", ["intake", "caseworker"], team="A")
    _case, instance = case_with_flow(svc, "A", reference="AUT-2026-000001")
    assert instance in svc.engine.workflows  # kept by the start's commit
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = lock_instance(uow, instance)
        taken = restore(svc, uow, row, reuse=True)
        taken.fire_timers()
        keep_after_commit(svc, uow, row, taken)
        # no commit: the unit of work rolls back
    assert instance not in svc.engine.workflows
    ann = actor(svc, "ann")
    complete_task(svc, ann, open_task(svc, instance, "register"), {"client_name": "Anna", "received_on": "2026-03-01"})
    assert _stored_data(svc, instance)["client_name"] == "Anna"
    assert instance in svc.engine.workflows
