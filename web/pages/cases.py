"""`/cases/{id}`: one client's case — summary, state, active tasks, deadlines, decisions, documents, timeline.

services.cases.get_case applies need-to-know and writes the access-log entry (via "page").
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.cases import CLIENT_FIELDS, get_case
from web.api.letters import letter_links
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep

router = APIRouter(include_in_schema=False)

CLIENT_LABELS = {
    "given_names": N_("Given names"),
    "family_name": N_("Family name"),
    "birth_date": N_("Date of birth"),
    "birth_year": N_("Year of birth"),
    "gender": N_("Gender"),
    "nationalities": N_("Nationalities"),
    "languages": N_("Languages"),
    "interpreter_needed": N_("Interpreter needed"),
}
assert set(CLIENT_LABELS) == set(CLIENT_FIELDS)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    case = get_case(svc, actor, case_id, via="page")
    client = [(CLIENT_LABELS[k], case.client.get(k)) for k in CLIENT_FIELDS if case.client.get(k) not in (None, "", [])]
    letters = [(d, letter_links(case.id, d.id, d.language)) for d in case.signed_decisions]
    context = {"case": case, "client": client, "actor": actor, "letters": letters}
    return templates.render(request, "cases/case.html.j2", context)
