"""`/processes/import`: bring in a process model made in SpiffArena (its folder's files, or one .zip).
"Check" validates only; "Deploy" makes new versions; "Open as a draft" puts the files in the editor to
finish there (e.g. to replace a SpiffArena connector). Bad uploads get a report, never an error page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from services.context import Actor, Services
from services.errors import Conflict, DeploymentRejected, InvalidInput
from services.process_editor import EDIT_ROLES
from services.process_editor_import import import_as_draft
from services.spiffarena_import import MAX_ARCHIVE_BYTES, MAX_ENTRIES, import_model
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, require_role
from web.pages.modeler_common import issue_rows
from web.templating import Templates

router = APIRouter(include_in_schema=False)


def _render(request: Request, templates: Templates, context: dict[str, Any], status_code: int = 200) -> Response:
    base: dict[str, Any] = {
        "report": None,
        "versions": [],
        "mode": "check",
        "note": "",
        "display_name": None,
        "error": None,
    }
    return templates.render(request, "processes/import.html.j2", {**base, **context}, status_code=status_code)


@router.get("/processes/import")
def import_page(request: Request, actor: ActorPage, templates: TemplatesDep) -> Response:
    require_role(actor, *EDIT_ROLES)
    return _render(request, templates, {})


@router.post("/processes/import")
async def import_action(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI copies defaults per request
    mode: Annotated[str, Form(max_length=10)] = "check",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    require_role(actor, *EDIT_ROLES)
    uploads = [(u.filename or "unnamed", await u.read(MAX_ARCHIVE_BYTES + 1)) for u in files[: MAX_ENTRIES + 1]]
    uploads = [(name, content) for name, content in uploads if name != "unnamed" or content]
    mode = mode if mode in ("check", "deploy", "draft") else "check"
    context: dict[str, Any] = {"mode": mode, "note": note}
    if not uploads:
        context["error"] = templates.tr(request, "Choose the files of the model, or one .zip file.")
        return _render(request, templates, context, 422)
    if mode == "draft":
        return await _as_draft(request, actor, svc, templates, uploads, context)
    try:
        outcome = await run_in_threadpool(lambda: import_model(svc, actor, uploads, note=note, dry_run=mode == "check"))
    except DeploymentRejected as exc:
        report = {
            "errors": issue_rows(exc.report.get("errors", [])),
            "warnings": issue_rows(exc.report.get("warnings", [])),
        }
        return _render(request, templates, {**context, "report": report, "error": str(exc)}, 422)
    report = {"errors": [], "warnings": issue_rows(outcome.report.get("warnings", []))}
    versions = list(outcome.result.versions)
    context.update(
        report=report, versions=versions, display_name=outcome.display_name, ids=outcome.report.get("process_ids", [])
    )
    return _render(request, templates, context)


async def _as_draft(
    request: Request,
    actor: Actor,
    svc: Services,
    templates: Templates,
    uploads: list[tuple[str, bytes]],
    context: dict[str, Any],
) -> Response:
    try:
        draft, bundle = await run_in_threadpool(import_as_draft, svc, actor, uploads)
    except (InvalidInput, Conflict) as exc:
        message = str(exc) + (" " + " ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else "")
        return _render(request, templates, {**context, "error": message}, 409 if isinstance(exc, Conflict) else 422)
    issues = [i.as_dict() for i in bundle.issues]
    if draft is None:
        report = {
            "errors": issue_rows([i for i in issues if i["severity"] == "error"]),
            "warnings": issue_rows([i for i in issues if i["severity"] == "warning"]),
        }
        return _render(
            request,
            templates,
            {**context, "report": report, "error": templates.tr(request, "The upload could not be read.")},
            422,
        )
    response = redirect(f"/processes/{draft.process_id}/edit/deploy")
    flash(request, response, templates.tr(request, "The model is now the draft of %(id)s.", id=draft.process_id))
    return response
