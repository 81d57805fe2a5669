"""`/processes`: every process with its latest version, running instances and draft; a new process;
`/processes/{id}`: its versions (who, when, change note, running instances, raw files); and
`/processes/{id}/diff`: what changed between two versions, element by element.
Process owners and supervisors read these pages; only process owners change anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.definitions import list_definitions
from services.errors import Conflict, InvalidInput, NotFound
from services.process_editor import list_drafts, new_process
from services.version_history import diff, list_versions, running_counts
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect
from web.pages.modeler_common import draft_or_404, process_tabs, require_reader

router = APIRouter(include_in_schema=False)


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 10**6 else None


def _index(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, **extra: object) -> Response:
    require_reader(actor)
    drafts = {d.process_id: d for d in list_drafts(svc, actor)}
    definitions = list_definitions(svc, actor)
    deployed = {d.process_id for d in definitions}
    context = {
        "definitions": definitions,
        "running": running_counts(svc, actor),
        "drafts": drafts,
        "new_drafts": [d for pid, d in drafts.items() if pid not in deployed],
        "can_edit": actor.has("process_owner"),
        "values": {"process_id": "", "name": ""},
        "errors": {},
        **extra,
    }
    status = 422 if extra.get("errors") else 200
    return templates.render(request, "processes/index.html.j2", context, status_code=status)


@router.get("/processes")
def processes_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    return _index(request, actor, svc, templates)


@router.post("/processes/new")
def new_process_action(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    process_id: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    process_id = process_id.strip()
    try:
        new_process(svc, actor, process_id, name)
    except (InvalidInput, Conflict) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {"process_id": str(exc)}
        values = {"process_id": process_id, "name": name}
        return _index(request, actor, svc, templates, values=values, errors=templates.errors(request, errors))
    response = redirect(f"/processes/{process_id}/edit")
    flash(request, response, templates.tr(request, "Draft of the new process %(id)s created.", id=process_id))
    return response


@router.get("/processes/{process_id}")
def versions_page(
    request: Request, process_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "versions")
    draft_or_404(tabs)
    try:
        versions = list_versions(svc, actor, process_id)
    except NotFound:
        versions = []  # a new process: only its draft so far
    context = {"tabs": tabs, "versions": versions, "api": f"/api/v1/process-definitions/{process_id}"}
    return templates.render(request, "processes/versions.html.j2", context)


@router.get("/processes/{process_id}/diff")
def diff_page(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    to: str = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "versions")
    frm = _number(request.query_params.get("from", ""))
    target = _number(to)
    if frm is None or target is None:
        raise InvalidInput("choose two versions", {"from": "Choose the versions to compare."})
    result = diff(svc, actor, process_id, frm, target)
    return templates.render(request, "processes/diff.html.j2", {"tabs": tabs, "diff": result})
