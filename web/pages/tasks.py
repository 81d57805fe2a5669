"""`/tasks/{id}`: instructions, the form, complete / save draft; claim, release, assign (supervisor).

Completing posts to the page itself: 303 to the inbox on success; 422 with the errors next to the
fields and every typed value kept; 409 when the task changed meanwhile. "Save draft and close" keeps
the values on the server (they come back on the next visit). Someone else's claimed task is read-only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from processes.lanes import roles_for_lane
from services.context import Actor, Services
from services.errors import Conflict, InvalidInput
from services.task_detail import TaskDetailView, read_task
from services.task_panels import load_panels
from services.tasks import assign, claim, complete_task, save_draft, unclaim
from services.users import active_users_with_roles
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, safe_next
from web.pages.task_form import coerce, form_view, read_posted, render_markdown
from web.templating import Templates, request_language

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    templates: Templates,
    svc: Services,
    actor: Actor,
    detail: TaskDetailView,
    data: dict[str, Any],
    errors: dict[str, str],
    *,
    status_code: int = 200,
    conflict: str | None = None,
) -> Response:
    row = detail.row
    is_open = row.status == "open"
    editable = is_open and not detail.read_only and row.assignee in (None, actor.username) and conflict is None
    assignees: list[tuple[str, str]] = []
    if actor.has("supervisor") and is_open:
        assignees = active_users_with_roles(svc, roles_for_lane(row.lane)) if row.lane else []
    errors = templates.errors(request, errors)
    context = {
        "task": row,
        "detail": detail,
        "instructions": render_markdown(detail.instructions),
        "form": form_view(detail, data, errors, request_language(request)),
        "errors": errors,
        "editable": editable,
        "conflict": conflict,
        "actor": actor,
        "assignees": assignees,
        "can_release": is_open
        and row.assignee is not None
        and (row.assignee == actor.username or actor.has("supervisor")),
        "can_claim": is_open and row.assignee is None,
        "panels": load_panels(svc, actor, detail, via="page"),  # e.g. duplicate candidates (processes/task_panels.py)
    }
    return templates.render(request, "tasks/task.html.j2", context, status_code=status_code)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    detail = read_task(svc, actor, task_id, via="page")
    return _page(request, templates, svc, actor, detail, detail.data, {})


@router.post("/tasks/{task_id}")
async def submit_task(
    request: Request, task_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    """Complete, save a draft, or add/remove a row (re-render only)."""
    detail = await run_in_threadpool(lambda: read_task(svc, actor, task_id, via="page"))
    async with request.form() as form:  # closes the uploads' temporary files
        posted = await read_posted(svc, actor, detail.row.id, form)
    data, acted = coerce(detail, posted.pairs)
    if acted or posted.upload_errors:
        status_code = 422 if posted.upload_errors else 200
        return _page(request, templates, svc, actor, detail, data, posted.upload_errors, status_code=status_code)
    try:
        if posted.action == "draft":
            await run_in_threadpool(save_draft, svc, actor, detail.row.id, data)
            message = templates.tr(request, "Draft saved: %(title)s", title=detail.row.title)
        else:
            lang = request_language(request)
            result = await run_in_threadpool(complete_task, svc, actor, detail.row.id, data, lang=lang)
            if not result.completed:  # the process's state after it could not be stored: nothing was kept
                response = redirect(f"/tasks/{detail.row.id}")
                text = "The task was not completed: the process stopped on an error; a supervisor sees it."
                flash(request, response, templates.tr(request, text), "error")
                return response
            message = templates.tr(request, "Task completed: %(title)s", title=detail.row.title)
            if result.incident:
                message += " " + templates.tr(request, "The process then stopped on an error; a supervisor sees it.")
    except InvalidInput as exc:
        return _page(request, templates, svc, actor, detail, data, exc.errors, status_code=422)
    except Conflict as exc:
        return _page(request, templates, svc, actor, detail, data, {}, status_code=409, conflict=str(exc))
    response = redirect("/inbox")
    flash(request, response, message)
    return response


@router.post("/tasks/{task_id}/claim")
def claim_task(request: Request, task_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    try:
        task = claim(svc, actor, task_id)
    except Conflict as exc:
        response = redirect("/inbox")
        flash(request, response, templates.tr(request, "Not claimed: %(reason)s", reason=str(exc)), "error")
        return response
    response = redirect(f"/tasks/{task.id}")
    flash(request, response, templates.tr(request, "You claimed this task."))
    return response


@router.post("/tasks/{task_id}/unclaim")
def unclaim_task(
    request: Request,
    task_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    unclaim(svc, actor, task_id)
    response = redirect(safe_next(next))
    flash(request, response, templates.tr(request, "The task was released."), "info")
    return response


@router.post("/tasks/{task_id}/assign")
def assign_task(
    request: Request,
    task_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    assignee: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A supervisor assigns, reassigns or (empty) releases a task."""
    response = redirect(f"/tasks/{task_id}")
    try:
        task = assign(svc, actor, task_id, assignee.strip() or None)
    except InvalidInput as exc:
        reason = "; ".join(exc.errors.values()) or str(exc)
        flash(request, response, templates.tr(request, "Not assigned: %(reason)s", reason=reason), "error")
        return response
    if task.assignee:
        flash(request, response, templates.tr(request, "Assigned to %(name)s.", name=task.assignee))
    else:
        flash(request, response, templates.tr(request, "The task was released."), "info")
    return response
