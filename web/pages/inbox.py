"""`/inbox`: my tasks, my team's unclaimed tasks, completed by me, all (supervisors); saved filters.

The table is also served alone at `/inbox/table`, which htmx fetches every 30 seconds to keep the
page fresh; without JavaScript the page is complete and a reload refreshes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from processes.lanes import LANE_ROLES
from services.access import CASE_ROLES
from services.context import Actor, Services
from services.inbox import delete_filter, list_filters, list_tasks, save_filter
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep
from web.pages.inbox_params import VIEWS, InboxForm, form_of_saved, parse_form, sort_options, to_query
from web.pages.saved_filters import deleted_and_return, form_in, save_and_return

router = APIRouter(include_in_schema=False)

SORT_LABELS = {
    "due": N_("Due date"),
    "created": N_("Created"),
    "priority": N_("Priority"),
    "completed": N_("Completed"),
}
VIEW_LABELS = {
    "mine": N_("My tasks"),
    "team": N_("My team's unclaimed tasks"),
    "completed": N_("Completed by me"),
    "all": N_("All tasks"),
}


def _context(svc: Services, actor: Actor, form: InboxForm) -> tuple[dict[str, Any], dict[str, str]]:
    query, errors = to_query(form)
    page = list_tasks(svc, actor, query)
    pages = max(1, -(-page.total // page.per_page))
    saved = [(f, form_of_saved(f.query).url()) for f in list_filters(svc, actor)]
    views = [(name, label) for name, label in VIEW_LABELS.items() if name != "all" or actor.has("supervisor")]
    context = {
        "form": form,
        "page": page,
        "pages": pages,
        "errors": errors,
        "views": views,
        "view_label": VIEW_LABELS[form.view],
        "completed_view": VIEWS[form.view][1] == "completed",
        "sort_options": sort_options(form),
        "sort_labels": SORT_LABELS,
        "lanes": sorted(LANE_ROLES),
        "saved_filters": saved,
        "sees_cases": bool(actor.roles & CASE_ROLES),
        "actor": actor,
    }
    return context, errors


@router.get("/inbox")
def inbox(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    form = parse_form(request.query_params)
    context, errors = _context(svc, actor, form)
    return templates.render(request, "inbox/inbox.html.j2", context, status_code=422 if errors else 200)


@router.get("/inbox/table")
def inbox_table(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    """The table alone (the htmx refresh swaps it in place)."""
    context, _errors = _context(svc, actor, parse_form(request.query_params))
    return templates.render(request, "inbox/_inbox_table.html.j2", context)


@router.post("/inbox/filters")
def save_current_filter(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Save the filters currently shown under a name of the user's choice."""
    form = form_in(query, parse_form)
    return save_and_return(request, templates, form.url(), lambda: save_filter(svc, actor, name, to_query(form)[0]))


@router.post("/inbox/filters/{filter_id}/delete")
def remove_filter(
    request: Request,
    filter_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    delete_filter(svc, actor, filter_id)
    return deleted_and_return(request, templates, form_in(query, parse_form).url())
