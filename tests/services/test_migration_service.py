"""Migrating instances through the services layer: preview, safe move, refused move, batch, revert."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import INTAKE, OWNER, SUPERVISOR, FakeClock, files_of

from engine import SourceFile
from services.context import Actor, Services
from services.deploy import deploy
from services.errors import Conflict, Forbidden
from services.instances import get_instance, start_instance
from services.migration import check_migration, diff_versions, migrate_batch, migrate_instance, revert_migration
from services.tasks import complete_task
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask


def _v2(change: bytes, to: bytes) -> list[SourceFile]:
    return [SourceFile(f.name, f.content.replace(change, to)) for f in files_of("case_flow")]


RENAME = (b'name="Assess the situation"', b'name="Assess the client\'s situation"')
SCRIPT = (b"add_days(received_on, 30)", b"add_days(received_on, 45)")


def _tasks(svc: Services, instance_id: int) -> dict[str, HumanTask]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        )
        return {r.bpmn_id: r for r in rows}


def _at_assess(svc: Services) -> int:
    info = start_instance(svc, OWNER, "case_flow", {})
    complete_task(svc, INTAKE, _tasks(svc, info.id)["register"].id, {"client_name": "A", "received_on": "2026-03-01"})
    return info.id


def test_safe_migration_and_revert(svc: Services, clock: FakeClock) -> None:
    v1 = deploy(svc, OWNER, files_of("case_flow")).versions[0]
    instance_id = _at_assess(svc)
    v2 = deploy(svc, OWNER, _v2(*RENAME)).versions[0]
    (changes,) = diff_versions(svc, OWNER, v1.id, v2.id)
    assert changes.changed == {"assess": ("bpmn_name",)}

    preview = check_migration(svc, OWNER, instance_id, v2.id)
    assert preview.safe and preview.reasons == ()
    due_before = get_instance(svc, OWNER, instance_id).next_timer_at
    clock.advance(days=3)
    moved = migrate_instance(svc, OWNER, instance_id, v2.id)
    assert moved.migrated and moved.to_version == 2
    info = get_instance(svc, OWNER, instance_id)
    assert info.version == 2 and info.next_timer_at == due_before  # the business deadline is kept
    assert _tasks(svc, instance_id)["assess"].version_id == v2.id

    revert_migration(svc, OWNER, moved.migration_id or 0)
    assert get_instance(svc, OWNER, instance_id).version == 1
    with pytest.raises(Conflict):
        revert_migration(svc, OWNER, moved.migration_id or 0)
    with UnitOfWork(svc.sessions) as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
        assert "instance_migrated" in actions and "instance_migration_reverted" in actions


def test_unsafe_migration_is_refused_with_the_reason(svc: Services) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    instance_id = _at_assess(svc)
    v2 = deploy(svc, OWNER, _v2(*SCRIPT)).versions[0]
    moved = migrate_instance(svc, OWNER, instance_id, v2.id)
    assert not moved.migrated and any("set_deadline" in r for r in moved.reasons)
    assert get_instance(svc, OWNER, instance_id).version == 1  # nothing changed
    forced = migrate_instance(svc, OWNER, instance_id, v2.id, force=True)
    assert forced.migrated and not forced.safe


def test_overdue_deadline_fires_after_migration(svc: Services, clock: FakeClock) -> None:
    deploy(svc, OWNER, files_of("case_flow"))
    instance_id = _at_assess(svc)
    v2 = deploy(svc, OWNER, _v2(*RENAME)).versions[0]
    clock.advance(days=40)  # overdue, the worker has not run yet
    migrate_instance(svc, OWNER, instance_id, v2.id)
    fire_due_timers(svc)
    assert "escalate" in _tasks(svc, instance_id)


def test_batch_and_roles(svc: Services) -> None:
    v1 = deploy(svc, OWNER, files_of("case_flow")).versions[0]
    at_assess = [_at_assess(svc) for _ in range(2)]
    fresh = start_instance(svc, OWNER, "case_flow", {}).id
    v2 = deploy(svc, OWNER, _v2(*SCRIPT)).versions[0]
    with pytest.raises(Forbidden):
        migrate_batch(svc, SUPERVISOR, v1.id, v2.id)
    with pytest.raises(Forbidden):
        check_migration(svc, Actor("c", frozenset({"caseworker"})), fresh, v2.id)
    result = migrate_batch(svc, OWNER, v1.id, v2.id)
    assert [p.instance_id for p in result.migrated] == [fresh]
    assert sorted(p.instance_id for p in result.refused) == sorted(at_assess)
