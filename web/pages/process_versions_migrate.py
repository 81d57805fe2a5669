"""`/processes/{id}/migrate`: move running instances to another version. Each instance on an older
version is checked first (safe = nothing it already did or is doing changed); safe ones move one by one
or as a batch, unsafe ones are refused with the reasons, and a move can be reverted while nothing has
happened to the instance since. Process owners only; supervisors may look. Every move is audited by
services.migration.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.errors import Conflict, NotFound
from services.migration import (
    MIGRATE_ROLES,
    MigrationPreview,
    check_migration,
    migrate_batch,
    migrate_instance,
    revert_migration,
)
from services.version_history import instances_on_other_versions, list_versions, recent_migrations, version_id_of
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, require_role
from web.pages.modeler_common import process_tabs

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 10**6 else None


@router.get("/processes/{process_id}/migrate")
def migrate_page(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    to: str = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "migrate")
    versions = list_versions(svc, actor, process_id)
    target = _number(to) or versions[0].version
    if target not in {v.version for v in versions}:
        raise NotFound(f"{process_id} has no version {target}")
    source = _number(request.query_params.get("from", ""))
    rows = instances_on_other_versions(svc, actor, process_id, target, from_version=source, limit=PAGE_SIZE)
    verdicts: dict[int, MigrationPreview] = {}
    if actor.has("process_owner"):  # the check restores each instance: only for those who may move them
        target_id = version_id_of(svc, actor, process_id, target)
        for row in rows:
            verdicts[row.id] = check_migration(svc, actor, row.id, target_id)
    context = {
        "tabs": tabs,
        "versions": versions,
        "target": target,
        "source": source,
        "rows": rows,
        "verdicts": verdicts,
        "migrations": recent_migrations(svc, actor, process_id),
        "page_size": PAGE_SIZE,
    }
    return templates.render(request, "processes/migrate.html.j2", context)


@router.post("/processes/{process_id}/migrate")
def migrate_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    to: Annotated[str, Form(max_length=10)] = "",
    instance_id: Annotated[list[str], Form(max_length=PAGE_SIZE)] = [],  # noqa: B006 - FastAPI copies defaults
    one: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Migrate one instance (`one`) or the selected ones; safe moves only, each in its own transaction."""
    require_role(actor, *MIGRATE_ROLES)
    process_tabs(svc, actor, process_id, "migrate")
    target = _number(to) or 0
    target_id = version_id_of(svc, actor, process_id, target)
    ids = [int(i) for i in ([one] if one else instance_id) if i.isdigit() and int(i) < 2**31]
    moved: list[MigrationPreview] = []
    refused: list[MigrationPreview] = []
    if one and ids:
        try:
            outcome = migrate_instance(svc, actor, ids[0], target_id)
        except Conflict as exc:
            outcome = MigrationPreview(ids[0], 0, target, False, (str(exc),), error=str(exc))
        (moved if outcome.migrated else refused).append(outcome)
    elif ids:
        for version in {v.version for v in list_versions(svc, actor, process_id)} - {target}:
            batch = migrate_batch(
                svc, actor, version_id_of(svc, actor, process_id, version), target_id, instance_ids=ids
            )
            moved.extend(batch.migrated)
            refused.extend(batch.refused)
    response = redirect(f"/processes/{process_id}/migrate?to={target}")
    parts = []
    if moved:
        ids_text = ", ".join(f"#{m.instance_id}" for m in moved)
        parts.append(templates.tr(request, "Moved to version %(v)s: %(ids)s.", v=target, ids=ids_text))
    if refused:
        reasons = "; ".join(f"#{r.instance_id}: {' '.join(r.reasons)}" for r in refused)
        parts.append(templates.tr(request, "Not moved (unsafe): %(reasons)s", reasons=reasons))
    if not parts:
        parts.append(templates.tr(request, "Choose the instances to move."))
    flash(request, response, " ".join(parts), "error" if refused else "success" if moved else "info")
    return response


@router.post("/processes/{process_id}/migrations/{migration_id}/revert")
def revert_action(
    request: Request,
    process_id: str,
    migration_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
) -> Response:
    require_role(actor, *MIGRATE_ROLES)
    process_tabs(svc, actor, process_id, "migrate")
    response = redirect(f"/processes/{process_id}/migrate")
    try:
        revert_migration(svc, actor, migration_id)
    except Conflict as exc:
        flash(request, response, str(exc), "error")
        return response
    flash(request, response, templates.tr(request, "The migration was reverted."))
    return response
