"""`/admin/users`: list, create, edit roles/team, deactivate/reactivate, reset password (admins only).

Every use case is in services/admin.py, which refuses non-admins (403 page) and writes the audit rows.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.admin import (
    UserRow,
    create_user,
    get_user,
    list_teams,
    list_users,
    reset_password,
    set_active,
    update_user,
)
from services.context import Actor, Services
from services.errors import Conflict, InvalidInput
from store.models import ROLES
from web.flash import flash
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect
from web.templating import Templates

router = APIRouter(include_in_schema=False)

Roles = Annotated[list[str], Form(max_length=20)]
ROLE_LABELS = {
    "referrer": N_("Referrer"),
    "intake": N_("Intake"),
    "caseworker": N_("Caseworker"),
    "decider": N_("Decider"),
    "supervisor": N_("Supervisor"),
    "process_owner": N_("Process owner"),
    "admin": N_("Administrator"),
    "statistician": N_("Statistician"),
}


def _team_id(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) < 2**31 else None


def _form_page(
    request: Request,
    templates: Templates,
    svc: Services,
    actor: Actor,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    base = {"teams": list_teams(svc, actor), "roles": ROLES, "role_labels": ROLE_LABELS, "actor": actor}
    errors = templates.errors(request, context.get("errors") or {})
    return templates.render(request, name, {**base, **context, "errors": errors}, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    users = list_users(svc, actor)
    return templates.render(request, "admin/users.html.j2", {"users": users, "role_labels": ROLE_LABELS})


@router.get("/admin/users/new")
def new_user_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    values = {"username": "", "display_name": "", "roles": [], "team": ""}
    return _form_page(request, templates, svc, actor, "admin/user_new.html.j2", {"values": values})


@router.post("/admin/users")
def create_user_action(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=400)] = "",
    roles: Roles = [],  # noqa: B006 - FastAPI copies defaults per request
    team: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        row = create_user(
            svc,
            actor,
            username=username,
            display_name=display_name,
            roles=roles,
            team_id=_team_id(team),
            password=password,
        )
    except InvalidInput as exc:
        values = {"username": username, "display_name": display_name, "roles": roles, "team": team}
        context = {"values": values, "errors": exc.errors}
        return _form_page(request, templates, svc, actor, "admin/user_new.html.j2", context, 422)
    response = redirect("/admin/users")
    flash(request, response, templates.tr(request, "User %(name)s created.", name=row.username))
    return response


def _edit_page(
    request: Request,
    templates: Templates,
    svc: Services,
    actor: Actor,
    user: UserRow,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    values = values or {
        "display_name": user.display_name,
        "roles": list(user.roles),
        "team": str(user.team_id or ""),
    }
    context = {"user": user, "values": values, "errors": errors or {}}
    return _form_page(request, templates, svc, actor, "admin/user_edit.html.j2", context, status_code)


@router.get("/admin/users/{user_id}")
def edit_user_page(
    request: Request, user_id: int, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    return _edit_page(request, templates, svc, actor, get_user(svc, actor, user_id))


@router.post("/admin/users/{user_id}")
def update_user_action(
    request: Request,
    user_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    display_name: Annotated[str, Form(max_length=400)] = "",
    roles: Roles = [],  # noqa: B006
    team: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        row = update_user(svc, actor, user_id, display_name=display_name, roles=roles, team_id=_team_id(team))
    except InvalidInput as exc:
        values = {"display_name": display_name, "roles": roles, "team": team}
        user = get_user(svc, actor, user_id)
        return _edit_page(request, templates, svc, actor, user, values, exc.errors, 422)
    response = redirect(f"/admin/users/{user_id}")
    flash(request, response, templates.tr(request, "Changes to %(name)s saved.", name=row.username))
    return response


@router.post("/admin/users/{user_id}/active")
def set_active_action(
    request: Request,
    user_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    response = redirect(f"/admin/users/{user_id}")
    try:
        row = set_active(svc, actor, user_id, active == "1")
    except Conflict as exc:
        flash(request, response, str(exc), "error")
        return response
    message = N_("%(name)s can sign in again.") if row.active else N_("%(name)s was deactivated and signed out.")
    flash(request, response, templates.tr(request, message, name=row.username))
    return response


@router.post("/admin/users/{user_id}/password")
def reset_password_action(
    request: Request,
    user_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        reset_password(svc, actor, user_id, password)
    except InvalidInput as exc:
        user = get_user(svc, actor, user_id)
        errors = {"new_password": exc.errors.get("password", str(exc))}
        return _edit_page(request, templates, svc, actor, user, errors=errors, status_code=422)
    response = redirect(f"/admin/users/{user_id}")
    flash(request, response, templates.tr(request, "The password was changed and the user's sessions ended."))
    return response
