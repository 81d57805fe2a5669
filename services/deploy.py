"""Deploy process versions: validate, then store each changed process as a new immutable version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.metadata import version as package_version

from sqlalchemy import func, select

from engine import CompiledProcess, SourceFile, ValidationReport
from processes.lanes import known_lanes
from services.context import Actor, Services
from services.errors import DeploymentRejected, Forbidden
from services.projection import audit
from services.uow import UnitOfWork
from store.models import ProcessVersion, ProcessVersionFile

DEPLOY_ROLES = ("process_owner", "admin")


@dataclass(frozen=True)
class DeployedVersion:
    id: int
    process_id: str
    version: int
    sha256: str
    created: bool  # False when identical sources were already the latest version


@dataclass(frozen=True)
class DeployResult:
    report: ValidationReport
    versions: tuple[DeployedVersion, ...]
    dry_run: bool


def deploy(
    svc: Services,
    actor: Actor,
    files: list[SourceFile],
    *,
    change_note: str = "",
    dry_run: bool = False,
    imported: bool = False,
) -> DeployResult:
    """Validate `files`; unless `dry_run`, store a new version of every process whose sources changed.

    Raises DeploymentRejected (with the report) when anything is wrong; nothing is stored then.
    """
    if not actor.has(*DEPLOY_ROLES) and actor.username != "system":
        raise Forbidden("only a process owner may deploy processes")
    compiled = svc.engine.compile(files, known_lanes(), strict_lanes=not imported)
    if not compiled.report.ok:
        raise DeploymentRejected(compiled.report.as_dict())
    if dry_run:
        return DeployResult(compiled.report, (), True)
    results: list[DeployedVersion] = []
    with UnitOfWork(svc.sessions, write=True) as uow:
        for proc in compiled.processes:
            results.append(_store_version(uow, svc, actor, proc, change_note, imported))
        uow.commit()
    return DeployResult(compiled.report, tuple(results), False)


def _store_version(
    uow: UnitOfWork, svc: Services, actor: Actor, proc: CompiledProcess, note: str, imported: bool
) -> DeployedVersion:
    session = uow.session
    latest = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == proc.process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.sha256 == proc.sha256:
        return DeployedVersion(latest.id, latest.process_id, latest.version, latest.sha256, False)
    number = (
        session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == proc.process_id))
        or 0
    ) + 1
    now = svc.now()
    row = ProcessVersion(
        process_id=proc.process_id,
        version=number,
        name=proc.name[:300],
        sha256=proc.sha256,
        spec_json=proc.spec_json,
        forms=proc.forms,
        serializer_version=svc.engine.serializer.version,
        engine_version=package_version("SpiffWorkflow"),
        deployed_by=actor.username,
        deployed_at=now,
        change_note=note,
        imported=imported,
        files=[
            ProcessVersionFile(name=f.name, content=f.content, sha256=hashlib.sha256(f.content).hexdigest())
            for f in proc.sources
        ],
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor.username,
        action="version_deployed",
        now=now,
        details={"process_id": proc.process_id, "version": number, "sha256": proc.sha256, "note": note},
    )
    return DeployedVersion(row.id, row.process_id, row.version, row.sha256, True)


def latest_version(uow: UnitOfWork, process_id: str) -> ProcessVersion | None:
    return uow.session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
