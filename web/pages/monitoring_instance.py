"""`/monitoring/instances/{id}`: one instance — the diagram with its markers, the history, and the
supervisor's actions (suspend, resume, cancel, reassign a task, retry an incident), each with a reason.

The diagram is drawn in the browser by bpmn-js (NavigatedViewer) from `diagram.bpmn`; the markers
travel as data attributes and web/static/monitoring.js adds them with canvas.addMarker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.errors import Conflict, InvalidInput
from services.instance_admin import (
    ADMIN_ROLES,
    cancel_instance,
    reassign_task,
    resume_instance,
    retry,
    suspend_instance,
)
from services.monitoring_instance import diagram_xml, get_instance_view
from web.flash import flash
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, safe_next
from web.pages.monitoring import RowId, labels

router = APIRouter(include_in_schema=False)

ACTION_LABELS = {
    "instance_started": N_("Started"),
    "task_opened": N_("Task opened"),
    "task_claimed": N_("Task claimed"),
    "task_unclaimed": N_("Task released"),
    "task_assigned": N_("Task assigned"),
    "task_completed": N_("Task completed"),
    "timer_fired": N_("Timer fired"),
    "message_delivered": N_("Message received"),
    "incident_retried": N_("Incident retried"),
    "instance_suspended": N_("Suspended"),
    "instance_resumed": N_("Resumed"),
    "instance_cancelled": N_("Cancelled"),
    "action_reason": N_("Reason given"),
    "instance_migrated": N_("Moved to another version"),
}
DONE = {
    "suspend": N_("The process was suspended."),
    "resume": N_("The process was resumed."),
    "cancel": N_("The process was cancelled."),
}


@router.get("/monitoring/instances/{instance_id}")
def instance_page(
    request: Request, instance_id: RowId, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    view = get_instance_view(svc, actor, instance_id, via="page")
    context = {
        "view": view,
        "markers_json": json.dumps(view.markers),
        "may_act": actor.has(*ADMIN_ROLES),
        "action_labels": ACTION_LABELS,
        **labels(),
    }
    return templates.render(request, "monitoring/instance.html.j2", context)


@router.get("/monitoring/instances/{instance_id}/diagram.bpmn")
def instance_diagram(instance_id: RowId, actor: ActorPage, svc: ServicesDep) -> Response:
    """The BPMN XML the viewer draws (supervisor, process owner)."""
    _name, xml = diagram_xml(svc, actor, instance_id)
    return Response(xml, media_type="application/xml", headers={"cache-control": "private, max-age=300"})


def _act(
    request: Request,
    templates: TemplatesDep,
    back: str,
    run: Callable[[], object],
    done: str,
) -> Response:
    response = redirect(back)
    try:
        run()
    except InvalidInput as exc:
        reason = "; ".join(exc.errors.values()) or str(exc)
        flash(request, response, templates.tr(request, "Not done: %(reason)s", reason=reason), "error")
        return response
    except Conflict as exc:
        flash(request, response, templates.tr(request, "Not done: %(reason)s", reason=str(exc)), "error")
        return response
    flash(request, response, templates.tr(request, done))
    return response


Reason = Annotated[str, Form(max_length=2000)]


@router.post("/monitoring/instances/{instance_id}/suspend")
def suspend_page(
    request: Request,
    instance_id: RowId,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    reason: Reason = "",
) -> Response:
    run = lambda: suspend_instance(svc, actor, instance_id, reason)  # noqa: E731
    return _act(request, templates, f"/monitoring/instances/{instance_id}", run, DONE["suspend"])


@router.post("/monitoring/instances/{instance_id}/resume")
def resume_page(
    request: Request,
    instance_id: RowId,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    reason: Reason = "",
) -> Response:
    run = lambda: resume_instance(svc, actor, instance_id, reason)  # noqa: E731
    return _act(request, templates, f"/monitoring/instances/{instance_id}", run, DONE["resume"])


@router.post("/monitoring/instances/{instance_id}/cancel")
def cancel_page(
    request: Request,
    instance_id: RowId,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    reason: Reason = "",
) -> Response:
    run = lambda: cancel_instance(svc, actor, instance_id, reason)  # noqa: E731
    return _act(request, templates, f"/monitoring/instances/{instance_id}", run, DONE["cancel"])


@router.post("/monitoring/tasks/{task_id}/assign")
def reassign_page(
    request: Request,
    task_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    assignee: Annotated[str, Form(max_length=100)] = "",
    reason: Reason = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back = safe_next(next, default="/monitoring")
    return _act(
        request,
        templates,
        back,
        lambda: reassign_task(svc, actor, task_id, assignee.strip() or None, reason),
        N_("The task was reassigned."),
    )


@router.post("/monitoring/incidents/{incident_id}/retry")
def retry_page(
    request: Request,
    incident_id: RowId,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    reason: Reason = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back = safe_next(next, default="/monitoring")
    return _act(
        request, templates, back, lambda: retry(svc, actor, incident_id, reason), N_("The incident was retried.")
    )
