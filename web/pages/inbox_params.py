"""The inbox page's query string <-> services.inbox.InboxQuery (and saved filters <-> links).

The page speaks in views ("mine", "team", "completed", "all") and calendar dates (due from/to, in
Finnish time); the service speaks in scope/status and UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from services.inbox import InboxQuery, Scope, SortKey, Status, query_from_dict
from web.i18n import DISPLAY_TZ, N_

VIEWS: dict[str, tuple[Scope, Status]] = {
    "mine": ("mine", "open"),
    "team": ("team", "open"),
    "completed": ("mine", "completed"),
    "all": ("all", "open"),
}
SORTS = ("due", "created", "priority", "completed")
PER_PAGE = 25


@dataclass(frozen=True)
class InboxForm:
    """The filter form as typed (strings), so it re-renders exactly, errors or not."""

    view: str = "mine"
    process: str = ""
    version: str = ""
    lane: str = ""
    case_reference: str = ""
    due_from: str = ""
    due_to: str = ""
    sort: str = ""
    order: str = ""
    page: str = ""

    def url(self, **changes: str) -> str:
        """/inbox with these values (empty ones left out), e.g. form.url(page="2")."""
        values = {k: v for k, v in asdict(replace(self, **changes)).items() if v}
        return "/inbox" + (f"?{urlencode(values)}" if values else "")

    def query_string(self, **changes: str) -> str:
        return self.url(**changes).partition("?")[2]

    @property
    def has_filters(self) -> bool:
        return any((self.process, self.version, self.lane, self.case_reference, self.due_from, self.due_to))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=DISPLAY_TZ).astimezone(UTC)


def _date(value: str, errors: dict[str, str], name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = N_("Enter a date as YYYY-MM-DD.")
        return None


def parse_form(params: Mapping[str, str]) -> InboxForm:
    known = InboxForm.__dataclass_fields__
    values = {k: str(params[k]).strip()[:200] for k in known if params.get(k)}
    form = InboxForm(**values)
    return form if form.view in VIEWS else replace(form, view="mine")


def to_query(form: InboxForm) -> tuple[InboxQuery, dict[str, str]]:
    """The service query for the form, and per-field errors (invalid values are left out of the query)."""
    errors: dict[str, str] = {}
    scope, status = VIEWS[form.view]
    values: dict[str, Any] = {"scope": scope, "status": status, "per_page": PER_PAGE}
    if status == "completed":
        values["sort"] = "completed"
    for name in ("process", "lane", "case_reference"):
        if getattr(form, name):
            values[name] = getattr(form, name)
    if form.version:
        if form.version.isdigit() and 0 < int(form.version) < 1_000_000:
            values["version"] = int(form.version)
        else:
            errors["version"] = N_("Enter a version number.")
    due_from = _date(form.due_from, errors, "due_from")
    due_to = _date(form.due_to, errors, "due_to")
    if due_from is not None:
        values["due_after"] = _local_midnight(due_from)
    if due_to is not None:
        values["due_before"] = _local_midnight(due_to + timedelta(days=1))
    if form.sort in SORTS:
        values["sort"] = form.sort
    if form.order in ("asc", "desc"):
        values["order"] = form.order
    if form.page.isdigit() and 0 < int(form.page) < 100_000:
        values["page"] = int(form.page)
    return query_from_dict(values), errors


def form_of_saved(saved: Mapping[str, Any]) -> InboxForm:
    """The inbox form that a saved filter (services.inbox.query_to_dict) stands for."""
    query = query_from_dict(saved)
    view = next((name for name, pair in VIEWS.items() if pair == (query.scope, query.status)), "mine")
    due_from = query.due_after.astimezone(DISPLAY_TZ).date().isoformat() if query.due_after else ""
    due_to = (
        (query.due_before.astimezone(DISPLAY_TZ) - timedelta(days=1)).date().isoformat() if query.due_before else ""
    )
    default_sort = "completed" if query.status == "completed" else "due"
    return InboxForm(
        view=view,
        process=query.process or "",
        version=str(query.version) if query.version else "",
        lane=query.lane or "",
        case_reference=query.case_reference or "",
        due_from=due_from,
        due_to=due_to,
        sort=query.sort if query.sort != default_sort else "",
        order=query.order or "",
    )


def sort_options(form: InboxForm) -> list[str]:
    keys: list[SortKey] = ["due", "created", "priority"]
    if VIEWS[form.view][1] == "completed":
        keys.insert(0, "completed")
    return list(keys)
