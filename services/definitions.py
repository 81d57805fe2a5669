"""Read deployed process definitions and their versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from services.context import Actor, Services
from services.errors import Forbidden
from services.uow import UnitOfWork
from store.models import ProcessVersion

READ_ROLES = ("process_owner", "supervisor", "admin")


@dataclass(frozen=True)
class DefinitionSummary:
    process_id: str
    name: str
    latest_version: int
    versions: int
    deployed_at: datetime
    deployed_by: str


def list_definitions(svc: Services, actor: Actor) -> list[DefinitionSummary]:
    if not actor.has(*READ_ROLES):
        raise Forbidden("only process owners, supervisors and admins list process definitions")
    with UnitOfWork(svc.sessions) as uow:
        latest = (
            select(
                ProcessVersion.process_id,
                func.max(ProcessVersion.version).label("v"),
                func.count(ProcessVersion.id).label("n"),
            )
            .group_by(ProcessVersion.process_id)
            .subquery()
        )
        rows = uow.session.execute(
            select(
                ProcessVersion.process_id,
                ProcessVersion.name,
                ProcessVersion.version,
                latest.c.n,
                ProcessVersion.deployed_at,
                ProcessVersion.deployed_by,
            )
            .join(latest, (latest.c.process_id == ProcessVersion.process_id) & (latest.c.v == ProcessVersion.version))
            .order_by(ProcessVersion.process_id)
        ).all()
        return [DefinitionSummary(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
