"""`/consultations`: intake's quick form for an anonymous consultation, and the log of a period.

The form has a date (today by default) and three selects; there is deliberately no text field.
`?edit=ID` puts an entry into the form for a correction (its recorder within the window, or a
supervisor); deleting asks for confirmation. The services layer decides who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from forms import FieldView
from processes.codelists import codelists
from services.consultations import (
    FIELDS,
    LIST_ALL_ROLES,
    RECORD_ROLES,
    ConsultationInput,
    ConsultationView,
    correct_consultation,
    delete_consultation,
    get_consultation,
    list_consultations,
    record_consultation,
)
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from web.flash import flash
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, require_role
from web.templating import Templates, request_language

router = APIRouter(include_in_schema=False)

PAGE_ROLES = (*RECORD_ROLES, *LIST_ALL_ROLES)
Code = Annotated[str, Form(max_length=32)]
Day = Annotated[str, Form(max_length=10)]


# Field labels, extracted for translation (N_) and translated per request.
LABELS = {
    "consulted_on": N_("Date of the call"),
    "referrer_type": N_("Who called"),
    "topic": N_("Topic"),
    "outcome": N_("Outcome"),
}


def _fields(request: Request, templates: Templates, values: dict[str, Any], errors: dict[str, str]) -> list[FieldView]:
    """The quick form as the forms package's field views (one Jinja2 macro per widget)."""
    lang = request_language(request)
    fields = [
        FieldView(
            "consulted_on",
            "date",
            templates.tr(request, LABELS["consulted_on"]),
            help=templates.tr(request, "The day only: no time is kept."),
            value=str(values.get("consulted_on") or ""),
            error=errors.get("consulted_on", ""),
        )
    ]
    for name, code_list in FIELDS.items():
        fields.append(
            FieldView(
                name,
                "select",
                templates.tr(request, LABELS[name]),
                required=True,
                value=str(values.get(name) or ""),
                error=errors.get(name, ""),
                options=[(code, codelists()[code_list].label(code, lang)) for code in codelists()[code_list]],
                empty_label=templates.tr(request, "Choose…"),
            )
        )
    return fields


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    """A posted or queried date; empty gives None (for the form: today, filled in by the service)."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = "Give the date as YYYY-MM-DD."
        return None


def _render(
    request: Request,
    templates: Templates,
    svc: Services,
    actor: Actor,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    editing: ConsultationView | None = None,
    start: str = "",
    end: str = "",
    status_code: int = 200,
) -> Response:
    period_errors: dict[str, str] = {}
    first, last = _day(start, "start", period_errors), _day(end, "end", period_errors)
    entries: list[ConsultationView] = []
    try:
        entries = list_consultations(svc, actor, start=first, end=last) if not period_errors else []
    except InvalidInput as exc:
        period_errors = exc.errors
    lang = request_language(request)
    errors = templates.errors(request, errors)
    context = {
        "fields": _fields(request, templates, values, errors),
        "labels": {name: {c: codelists()[cs].label(c, lang) for c in codelists()[cs]} for name, cs in FIELDS.items()},
        "errors": errors,
        "period_errors": templates.errors(request, period_errors),
        "entries": entries,
        "editing": editing,
        "can_record": actor.has(*RECORD_ROLES),
        "today": svc.now().date().isoformat(),
        "start": start,
        "end": end,
    }
    return templates.render(request, "consultations/page.html.j2", context, status_code=status_code)


@router.get("/consultations")
def consultations_page(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    edit: int | None = None,
    start: str = "",
    end: str = "",
) -> Response:
    require_role(actor, *PAGE_ROLES)
    editing = get_consultation(svc, actor, edit) if edit is not None else None
    if editing is not None and not editing.editable:
        raise Forbidden("this entry can no longer be corrected")
    values = (
        {name: getattr(editing, name) for name in FIELDS} | {"consulted_on": editing.consulted_on.isoformat()}
        if editing is not None
        else {"consulted_on": svc.now().date().isoformat()}
    )
    return _render(request, templates, svc, actor, values=values, errors={}, editing=editing, start=start, end=end)


@dataclass(frozen=True)
class Posted:
    """The quick form as posted: the raw values (shown again on an error) and a date parse error, if any."""

    values: dict[str, str]
    entry: ConsultationInput
    errors: dict[str, str]


def posted_form(consulted_on: Day = "", referrer_type: Code = "", topic: Code = "", outcome: Code = "") -> Posted:
    errors: dict[str, str] = {}
    day = _day(consulted_on, "consulted_on", errors)
    values = {"consulted_on": consulted_on, "referrer_type": referrer_type, "topic": topic, "outcome": outcome}
    return Posted(values, ConsultationInput(day, referrer_type, topic, outcome), errors)


PostedDep = Annotated[Posted, Depends(posted_form)]


def _save(
    request: Request,
    templates: Templates,
    svc: Services,
    actor: Actor,
    posted: Posted,
    consultation_id: int | None,
) -> Response:
    """Record a new entry (no id) or correct one; 422 with the form again, or 303 to the list."""
    try:
        if posted.errors:
            raise InvalidInput("the consultation is not valid", posted.errors)
        if consultation_id is None:
            record_consultation(svc, actor, posted.entry)
        else:
            correct_consultation(svc, actor, consultation_id, posted.entry)
    except InvalidInput as exc:
        editing = get_consultation(svc, actor, consultation_id) if consultation_id is not None else None
        return _render(
            request, templates, svc, actor, values=posted.values, errors=exc.errors, editing=editing, status_code=422
        )
    response = redirect("/consultations")
    done = N_("Consultation recorded.") if consultation_id is None else N_("Consultation corrected.")
    flash(request, response, templates.tr(request, done))
    return response


@router.post("/consultations")
def record_action(
    request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, posted: PostedDep
) -> Response:
    require_role(actor, *RECORD_ROLES)
    return _save(request, templates, svc, actor, posted, None)


@router.post("/consultations/{consultation_id}")
def correct_action(
    request: Request,
    consultation_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    posted: PostedDep,
) -> Response:
    require_role(actor, *PAGE_ROLES)
    return _save(request, templates, svc, actor, posted, consultation_id)


@router.post("/consultations/{consultation_id}/delete")
def delete_action(
    request: Request, consultation_id: int, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    require_role(actor, *PAGE_ROLES)
    delete_consultation(svc, actor, consultation_id)
    response = redirect("/consultations")
    flash(request, response, templates.tr(request, "Consultation deleted."), "info")
    return response
