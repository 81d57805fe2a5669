"""`/supervision/access-log`: who read which case, filtered by case or user (supervisors only)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.access_log import list_access
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, require_role

router = APIRouter(include_in_schema=False)

PER_PAGE = 50


@router.get("/supervision/access-log")
def access_log_page(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    case: str = "",
    user: str = "",
    page: str = "1",
) -> Response:
    require_role(actor, "supervisor")
    case, user = case.strip()[:20], user.strip()[:100]
    errors: dict[str, str] = {}
    case_id = int(case) if case.isdigit() and int(case) < 2**31 else None
    if case and case_id is None:
        errors["case"] = N_("Enter the case number.")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    result = list_access(svc, actor, case_id=case_id, username=user or None, page=number, per_page=PER_PAGE)
    pages = max(1, -(-result.total // PER_PAGE))

    def url(**changes: str) -> str:
        values = {k: v for k, v in {"case": case, "user": user, **changes}.items() if v}
        return "/supervision/access-log" + (f"?{urlencode(values)}" if values else "")

    context = {"result": result, "pages": pages, "case": case, "user": user, "errors": errors, "url": url}
    return templates.render(request, "supervision/access_log.html.j2", context, status_code=422 if errors else 200)
