"""`/admin/teams`: list, create and rename teams (admins only; services/admin.py enforces it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.admin import create_team, list_teams, rename_team
from services.errors import InvalidInput
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect

router = APIRouter(include_in_schema=False)

TeamName = Annotated[str, Form(max_length=400)]


@router.get("/admin/teams")
def teams_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    context: dict[str, Any] = {"teams": list_teams(svc, actor), "errors": {}, "new_name": "", "failed_team": None}
    return templates.render(request, "admin/teams.html.j2", context)


@router.post("/admin/teams")
def create_team_action(
    request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, name: TeamName = ""
) -> Response:
    try:
        team = create_team(svc, actor, name)
    except InvalidInput as exc:
        context = {
            "teams": list_teams(svc, actor),
            "errors": templates.errors(request, exc.errors),
            "new_name": name,
            "failed_team": None,
        }
        return templates.render(request, "admin/teams.html.j2", context, status_code=422)
    response = redirect("/admin/teams")
    flash(request, response, templates.tr(request, "Team %(name)s created.", name=team.name))
    return response


@router.post("/admin/teams/{team_id}")
def rename_team_action(
    request: Request, team_id: int, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, name: TeamName = ""
) -> Response:
    try:
        team = rename_team(svc, actor, team_id, name)
    except InvalidInput as exc:
        context = {
            "teams": list_teams(svc, actor),
            "errors": templates.errors(request, exc.errors),
            "new_name": "",
            "failed_team": team_id,
        }
        return templates.render(request, "admin/teams.html.j2", context, status_code=422)
    response = redirect("/admin/teams")
    flash(request, response, templates.tr(request, "Team renamed to %(name)s.", name=team.name))
    return response
