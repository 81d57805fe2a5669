"""Move running instances to another version of their process, see beforehand whether that is
safe, and revert a move. Only process owners do this; every move is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from engine import MigrationCheck, MigrationUnsafe, SpecChanges
from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.projection import apply_snapshot, audit
from services.runtime import lock_instance, restore, run_and_save
from services.uow import UnitOfWork
from store.models import HumanTask, InstanceMigration, ProcessInstance, ProcessVersion

MIGRATE_ROLES = ("process_owner",)


@dataclass(frozen=True)
class MigrationPreview:
    instance_id: int
    from_version: int
    to_version: int
    safe: bool
    reasons: tuple[str, ...]
    changes: tuple[SpecChanges, ...] = ()
    migrated: bool = False
    migration_id: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class BatchResult:
    migrated: list[MigrationPreview] = field(default_factory=list)
    refused: list[MigrationPreview] = field(default_factory=list)


def _require(actor: Actor) -> None:
    if not actor.has(*MIGRATE_ROLES):
        raise Forbidden("only a process owner may migrate instances")


def _target(uow: UnitOfWork, row: ProcessInstance, to_version_id: int) -> ProcessVersion:
    target = uow.session.get(ProcessVersion, to_version_id)
    if target is None:
        raise NotFound(f"no process version {to_version_id}")
    if target.process_id != row.process_id:
        raise InvalidInput("another process", {"to_version_id": f"version {to_version_id} is not of {row.process_id}"})
    return target


def _preview(row: ProcessInstance, from_v: int, target: ProcessVersion, verdict: MigrationCheck) -> MigrationPreview:
    return MigrationPreview(row.id, from_v, target.version, verdict.safe, verdict.reasons, verdict.changes)


def check_migration(svc: Services, actor: Actor, instance_id: int, to_version_id: int) -> MigrationPreview:
    """Whether this instance can move to the version without rewriting what already happened."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(f"no process instance {instance_id}")
        target = _target(uow, row, to_version_id)
        cached = svc.versions.get(uow.session, target.id)
        verdict = restore(svc, uow, row).check_migration(cached.key, cached.spec_json)
        return _preview(row, svc.versions.get(uow.session, row.version_id).version, target, verdict)


def migrate_instance(
    svc: Services, actor: Actor, instance_id: int, to_version_id: int, *, force: bool = False
) -> MigrationPreview:
    """Move one instance (refused with the reasons when unsafe, unless `force`)."""
    _require(actor)
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = lock_instance(uow, instance_id)
        if row.status in ("completed", "cancelled"):
            raise Conflict("a finished instance is not migrated")
        target = _target(uow, row, to_version_id)
        if target.id == row.version_id:
            raise Conflict("the instance is already on that version")
        from_version = svc.versions.get(uow.session, row.version_id)
        cached = svc.versions.get(uow.session, target.id)
        old_state, old_version_id = row.state_json, row.version_id
        engine_instance = restore(svc, uow, row)
        row.version_id = target.id  # before projecting, so tasks opened by the move carry the new version
        try:
            verdict, _opened = run_and_save(
                svc,
                uow,
                row,
                engine_instance,
                lambda inst: inst.migrate(cached.key, cached.spec_json, force=force),
                actor=actor.username,
            )
        except MigrationUnsafe as exc:
            return MigrationPreview(row.id, from_version.version, target.version, False, exc.reasons)  # rolled back
        uow.session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == row.id, HumanTask.status == "open")
            .values(version_id=target.id)
        )
        record = InstanceMigration(
            instance_id=row.id,
            from_version_id=old_version_id,
            to_version_id=target.id,
            old_state_json=old_state,
            forced=force and not verdict.safe,
            reasons=list(verdict.reasons),
            migrated_by=actor.username,
            migrated_at=svc.now(),
        )
        uow.session.add(record)
        uow.session.flush()  # the instance's new counter and the record's id
        record.counter_after = row.version_counter
        audit(
            uow.session,
            actor=actor.username,
            action="instance_migrated",
            now=svc.now(),
            row=row,
            details={
                "from_version": from_version.version,
                "to_version": target.version,
                "forced": record.forced,
                "reasons": list(verdict.reasons),
                "migration_id": record.id,
            },
        )
        uow.commit()
        return MigrationPreview(
            row.id,
            from_version.version,
            target.version,
            verdict.safe,
            verdict.reasons,
            verdict.changes,
            migrated=True,
            migration_id=record.id,
        )


def migrate_batch(
    svc: Services,
    actor: Actor,
    from_version_id: int,
    to_version_id: int,
    *,
    instance_ids: list[int] | None = None,
    force: bool = False,
) -> BatchResult:
    """Move every running instance of a version (or the chosen ones), each in its own transaction."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        query = select(ProcessInstance.id).where(
            ProcessInstance.version_id == from_version_id, ProcessInstance.status.in_(("running", "error", "suspended"))
        )
        if instance_ids is not None:
            query = query.where(ProcessInstance.id.in_(instance_ids))
        ids = list(uow.session.scalars(query.order_by(ProcessInstance.id)))
    result = BatchResult()
    for instance_id in ids:
        try:
            outcome = migrate_instance(svc, actor, instance_id, to_version_id, force=force)
        except Conflict as exc:
            outcome = MigrationPreview(instance_id, 0, 0, False, (str(exc),), error=str(exc))
        (result.migrated if outcome.migrated else result.refused).append(outcome)
    return result


def revert_migration(svc: Services, actor: Actor, migration_id: int) -> None:
    """Put the instance back on its old version and state, if nothing happened to it since."""
    _require(actor)
    with UnitOfWork(svc.sessions, write=True) as uow:
        record = uow.session.get(InstanceMigration, migration_id)
        if record is None:
            raise NotFound(f"no migration {migration_id}")
        if record.reverted_at is not None:
            raise Conflict("this migration was already reverted")
        row = lock_instance(uow, record.instance_id)
        if row.version_counter != record.counter_after:
            raise Conflict("the instance has moved on since it was migrated; reverting would lose that work")
        before = restore(svc, uow, row).baseline()  # what the projections show now: the migrated state
        old_version = svc.versions.get(uow.session, record.from_version_id)
        engine_instance = svc.engine.restore(old_version.key, old_version.spec_json, record.old_state_json)
        row.version_id = record.from_version_id
        apply_snapshot(uow.session, row, engine_instance.snapshot(), now=svc.now(), actor=actor.username, before=before)
        uow.session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == row.id, HumanTask.status == "open")
            .values(version_id=record.from_version_id)
        )
        record.reverted_at, record.reverted_by = svc.now(), actor.username
        audit(
            uow.session,
            actor=actor.username,
            action="instance_migration_reverted",
            now=svc.now(),
            row=row,
            details={"migration_id": migration_id},
        )
        uow.commit()


def diff_versions(svc: Services, actor: Actor, old_version_id: int, new_version_id: int) -> tuple[SpecChanges, ...]:
    """Added, removed and changed elements between two versions of a process."""
    if not actor.has("process_owner", "supervisor", "admin"):
        raise Forbidden("only process owners and supervisors compare versions")
    with UnitOfWork(svc.sessions) as uow:
        old, new = svc.versions.get(uow.session, old_version_id), svc.versions.get(uow.session, new_version_id)
    return svc.engine.diff_versions((old.key, old.spec_json), (new.key, new.spec_json))
