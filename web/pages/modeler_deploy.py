"""`/processes/{id}/edit/deploy`: the whole check of the draft (engine report, SpiffArena-only features,
bpmnlint's advice, scenario tests), then deploy with a change note. A supervisor may approve failing
scenarios for exactly these files; who approved is shown here and recorded with the deploy.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.errors import Conflict, DeploymentRejected, InvalidInput
from services.process_editor import deploy_draft
from services.process_editor_checks import DraftCheck, approve_draft_override, check_draft
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect
from web.pages.modeler_common import ProcessTabs, draft_or_404, issue_rows, process_tabs
from web.templating import Templates

router = APIRouter(include_in_schema=False)


def _revision(value: str) -> int:
    return int(value) if value.isdigit() and int(value) < 2**31 else -1


def _page(
    request: Request,
    templates: Templates,
    tabs: ProcessTabs,
    check: DraftCheck,
    *,
    note: str = "",
    error: str | None = None,
    rejected: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    report = rejected or check.as_dict()
    context = {
        "tabs": tabs,
        "check": check,
        "errors": issue_rows(report.get("errors", [])),
        "warnings": issue_rows(report.get("warnings", [])),
        "note": note,
        "error": error,
    }
    return templates.render(request, "modeler/deploy.html.j2", context, status_code=status_code)


@router.get("/processes/{process_id}/edit/deploy")
def deploy_page(
    request: Request, process_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "deploy")
    draft_or_404(tabs)
    return _page(request, templates, tabs, check_draft(svc, actor, process_id))


@router.post("/processes/{process_id}/edit/deploy")
def deploy_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    note: Annotated[str, Form(max_length=2000)] = "",
    revision: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "deploy")
    draft_or_404(tabs)
    try:
        result = deploy_draft(svc, actor, process_id, note=note, revision=_revision(revision))
    except (DeploymentRejected, InvalidInput, Conflict) as exc:
        check = check_draft(svc, actor, process_id)
        rejected = exc.report if isinstance(exc, DeploymentRejected) else None
        message = str(exc) + (" " + " ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else "")
        code = 409 if isinstance(exc, Conflict) else 422
        return _page(request, templates, tabs, check, note=note, error=message, rejected=rejected, status_code=code)
    created = [v for v in result.versions if v.created]
    if created:
        names = ", ".join(f"{v.process_id} {v.version}" for v in created)
        text = templates.tr(request, "Deployed: %(versions)s.", versions=names)
        if result.overridden_by:
            text += " " + templates.tr(
                request, "Failing scenarios were approved by %(name)s.", name=result.overridden_by
            )
    else:
        text = templates.tr(request, "Nothing changed, so no new version was made.")
    response = redirect(f"/processes/{process_id}")
    flash(request, response, text)
    return response


@router.post("/processes/{process_id}/edit/override")
def override_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    revision: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "deploy")
    try:
        approve_draft_override(svc, actor, process_id, revision=_revision(revision), reason=reason)
    except (InvalidInput, Conflict) as exc:
        message = str(exc) + (" " + " ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else "")
        code = 409 if isinstance(exc, Conflict) else 422
        return _page(request, templates, tabs, check_draft(svc, actor, process_id), error=message, status_code=code)
    response = redirect(f"/processes/{process_id}/edit/deploy")
    flash(request, response, templates.tr(request, "You approved deploying this draft although scenarios fail."))
    return response
