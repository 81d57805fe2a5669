"""`/supervision/access-log`: who read which case when (supervisors only).

Filters: case (number or reference), user, period (dates in Finnish time). `access-log.csv` exports
the same selection (a data subject's request). Unusual access is flagged above the table: one user
reading more than `threshold` distinct cases within `window` minutes (services.access_log defaults).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.access_log import (
    UNUSUAL_LOOKBACK_DAYS,
    UNUSUAL_THRESHOLD,
    UNUSUAL_WINDOW_MINUTES,
    export_access,
    list_access,
    unusual_access,
)
from services.context import Services
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, require_role
from web.pages.filter_forms import day_boundary, parse_day

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
FIELDS = ("case", "user", "since", "until", "threshold", "window")
REFERENCE = re.compile(r"[A-Z]{2,10}-\d{4}-\d{3,9}")  # AUT-2026-000123


@dataclass(frozen=True)
class Selection:
    values: dict[str, str]
    case_id: int | None
    case_reference: str | None
    username: str | None
    since: datetime | None
    until: datetime | None
    threshold: int
    window: int
    errors: dict[str, str]

    def url(self, path: str = "/supervision/access-log", **changes: str) -> str:
        values = {k: v for k, v in {**self.values, **changes}.items() if v}
        return path + (f"?{urlencode(values)}" if values else "")

    @property
    def filters(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_reference": self.case_reference,
            "username": self.username,
            "since": self.since,
            "until": self.until,
        }


def _limit(value: str, default: int, top: int, errors: dict[str, str], name: str) -> int:
    if not value:
        return default
    if value.isdigit() and 1 <= int(value) <= top:
        return int(value)
    errors[name] = N_("Enter a whole number in the allowed range.")
    return default


def selection(params: Any) -> Selection:
    values = {k: str(params.get(k) or "").strip()[:100] for k in FIELDS}
    errors: dict[str, str] = {}
    case = values["case"]
    case_id = int(case) if case.isdigit() and int(case) < 2**31 else None
    reference = case.upper() if case and case_id is None else None
    if reference is not None and not REFERENCE.fullmatch(reference):
        errors["case"] = N_("Enter the case number or reference.")
        reference = None
    since = parse_day(values["since"], errors, "since")
    until = parse_day(values["until"], errors, "until")
    return Selection(
        values,
        case_id,
        reference,
        values["user"] or None,
        day_boundary(since, is_end=False) if since else None,
        day_boundary(until, is_end=True) if until else None,
        _limit(values["threshold"], UNUSUAL_THRESHOLD, 10_000, errors, "threshold"),
        _limit(values["window"], UNUSUAL_WINDOW_MINUTES, 1440, errors, "window"),
        errors,
    )


def _flags(svc: Services, actor: Any, sel: Selection) -> list[Any]:
    return unusual_access(
        svc, actor, since=sel.since, until=sel.until, threshold=sel.threshold, window_minutes=sel.window
    )


@router.get("/supervision/access-log")
def access_log_page(
    request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, page: str = "1"
) -> Response:
    require_role(actor, "supervisor")
    sel = selection(request.query_params)
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    result = list_access(svc, actor, **sel.filters, page=number, per_page=PER_PAGE)
    context = {
        "result": result,
        "pages": max(1, -(-result.total // PER_PAGE)),
        "sel": sel,
        "values": sel.values,
        "errors": sel.errors,
        "url": sel.url,
        "export_url": sel.url("/supervision/access-log.csv"),
        "flags": _flags(svc, actor, sel),
        "defaults": {"threshold": UNUSUAL_THRESHOLD, "window": UNUSUAL_WINDOW_MINUTES, "days": UNUSUAL_LOOKBACK_DAYS},
    }
    return templates.render(request, "supervision/access_log.html.j2", context, status_code=422 if sel.errors else 200)


@router.get("/supervision/access-log.csv")
def access_log_export(request: Request, actor: ActorPage, svc: ServicesDep) -> Response:
    """The selected entries as CSV, oldest first; the export is audited."""
    require_role(actor, "supervisor")
    sel = selection(request.query_params)
    content = export_access(svc, actor, **sel.filters)
    stamp = svc.now().strftime("%Y%m%d-%H%M")
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="access-log-{stamp}.csv"', "cache-control": "no-store"},
    )
