"""Supervisor monitoring pages: the dashboard, the instance list with saved filters, the deadlines.

`/monitoring/panels` serves the dashboard's panels alone; htmx fetches it every 30 seconds, so the
page stays live. Without JavaScript the page is complete and a reload refreshes it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from processes.lanes import LANE_ROLES
from services.deadlines import KINDS, list_deadlines
from services.monitoring import SOON_DAYS, dashboard
from services.monitoring_list import (
    CASE_DATA_ROLES,
    delete_instance_filter,
    list_instance_filters,
    list_instances,
    save_instance_filter,
)
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, require_role
from web.pages.monitoring_params import SORT_LABELS, STATE_LABELS, STATES, form_of_saved, parse_form, to_query
from web.pages.saved_filters import deleted_and_return, form_in, save_and_return

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # 32-bit id columns: a larger id is a 422, not a 500

KIND_LABELS = {
    "decision": N_("Admission decision"),
    "reflection_end": N_("Reflection period ends"),
    "appeal_window": N_("Appeal window ends"),
    "hearing": N_("Hearing"),
    "review": N_("Review of the need for assistance"),
    "information": N_("Missing information"),
    "task": N_("Task due"),
    "timer": N_("Timer"),
}
SOURCE_LABELS = {"task": N_("Task"), "timer": N_("Timer"), "case": N_("Case data")}
INCIDENT_LABELS = {
    "script_error": N_("Script error"),
    "service_call": N_("Failed service call"),
    "tree_depth": N_("Process too deep"),
    "state_unstorable": N_("Process data too large to store"),
    "notification": N_("Referrer not notified"),
}
DAY_CHOICES = (7, 14, 30, 90, 365)


def labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "source_labels": SOURCE_LABELS,
        "incident_labels": INCIDENT_LABELS,
        "state_labels": STATE_LABELS,
    }


@router.get("/monitoring")
def dashboard_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    board = dashboard(svc, actor)
    context = {"board": board, "soon_days": SOON_DAYS, **labels()}
    return templates.render(request, "monitoring/dashboard.html.j2", context)


@router.get("/monitoring/panels")
def dashboard_panels(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    """The panels alone, for the htmx refresh."""
    board = dashboard(svc, actor)
    context = {"board": board, "soon_days": SOON_DAYS, **labels()}
    return templates.render(request, "monitoring/_panels.html.j2", context)


@router.get("/monitoring/instances")
def instances_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    require_role(actor, "supervisor", "process_owner")
    form = parse_form(request.query_params)
    query, errors = to_query(form)
    sees_cases = actor.has(*CASE_DATA_ROLES)
    if query.case_reference is not None and not sees_cases:
        errors["case_reference"] = N_("Your role does not see case data.")
        query = to_query(replace(form, case_reference=""))[0]
    page = list_instances(svc, actor, query)
    saved = [(f, form_of_saved(f.query).url()) for f in list_instance_filters(svc, actor)]
    context = {
        "form": form,
        "page": page,
        "pages": max(1, -(-page.total // page.per_page)),
        "errors": errors,
        "states": STATES,
        "sort_labels": SORT_LABELS,
        "lanes": sorted(LANE_ROLES),
        "saved_filters": saved,
        "sees_cases": sees_cases,
        **labels(),
    }
    return templates.render(request, "monitoring/instances.html.j2", context, status_code=422 if errors else 200)


@router.post("/monitoring/instances/filters")
def save_filter(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Save the filters currently shown under a name of the user's choice."""
    form = form_in(query, parse_form)
    save = lambda: save_instance_filter(svc, actor, name, to_query(form)[0])  # noqa: E731
    return save_and_return(request, templates, form.url(), save)


@router.post("/monitoring/instances/filters/{filter_id}/delete")
def remove_filter(
    request: Request,
    filter_id: RowId,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    delete_instance_filter(svc, actor, filter_id)
    return deleted_and_return(request, templates, form_in(query, parse_form).url())


@router.get("/monitoring/deadlines")
def deadlines_page(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    days: str = "30",
    kind: str = "",
) -> Response:
    period = int(days) if days.isdigit() and int(days) in DAY_CHOICES else 30
    chosen = kind if kind in KINDS else None
    result = list_deadlines(svc, actor, days=period, kind=chosen)
    context = {"result": result, "days": period, "kind": chosen or "", "day_choices": DAY_CHOICES, "kinds": KINDS}
    return templates.render(request, "monitoring/deadlines.html.j2", {**context, **labels()})
