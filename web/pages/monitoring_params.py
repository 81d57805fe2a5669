"""The instance list's query string <-> services.monitoring_list.InstanceQuery (and saved filters <-> links).

The page speaks in calendar dates (Finnish time); the service in UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from services.monitoring_list import InstanceQuery, query_from_dict
from web.i18n import DISPLAY_TZ, N_

PER_PAGE = 50
STATES = ("open", "running", "error", "suspended", "completed", "cancelled")
STATE_LABELS = {
    "open": N_("Not finished"),
    "running": N_("Running"),
    "waiting": N_("Running"),
    "error": N_("Error"),
    "suspended": N_("Suspended"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
SORT_LABELS = {"updated": N_("Last change"), "started": N_("Started"), "id": N_("Number")}
_RANGES = {
    "started_from": ("started_after", False),
    "started_to": ("started_before", True),
    "updated_from": ("updated_after", False),
    "updated_to": ("updated_before", True),
}


@dataclass(frozen=True)
class InstanceForm:
    """The filter form as typed (strings), so it re-renders exactly, errors or not."""

    process: str = ""
    version: str = ""
    state: str = ""
    lane: str = ""
    overdue: str = ""
    case_reference: str = ""
    started_from: str = ""
    started_to: str = ""
    updated_from: str = ""
    updated_to: str = ""
    sort: str = ""
    order: str = ""
    page: str = ""

    def url(self, **changes: str) -> str:
        values = {k: v for k, v in asdict(replace(self, **changes)).items() if v}
        return "/monitoring/instances" + (f"?{urlencode(values)}" if values else "")

    def query_string(self, **changes: str) -> str:
        return self.url(**changes).partition("?")[2]

    @property
    def has_filters(self) -> bool:
        return any(v for k, v in asdict(self).items() if k not in ("sort", "order", "page"))


def parse_form(params: Mapping[str, str]) -> InstanceForm:
    known = InstanceForm.__dataclass_fields__
    return InstanceForm(**{k: str(params[k]).strip()[:200] for k in known if params.get(k)})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=DISPLAY_TZ).astimezone(UTC)


def to_query(form: InstanceForm) -> tuple[InstanceQuery, dict[str, str]]:
    """The service query for the form, and per-field errors (invalid values are left out)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"per_page": PER_PAGE}
    for name in ("process", "lane", "case_reference"):
        if getattr(form, name):
            values[name] = getattr(form, name)
    if form.version:
        if form.version.isdigit() and 0 < int(form.version) < 1_000_000:
            values["version"] = int(form.version)
        else:
            errors["version"] = N_("Enter a version number.")
    if form.state:
        if form.state in STATES:
            values["state"] = form.state
        else:
            errors["state"] = N_("Choose a state from the list.")
    if form.overdue in ("1", "true", "on"):
        values["overdue"] = True
    for name, (key, is_end) in _RANGES.items():
        text = getattr(form, name)
        if not text:
            continue
        day = _day(text)
        if day is None:
            errors[name] = N_("Enter a date as YYYY-MM-DD.")
            continue
        values[key] = _local_midnight(day + timedelta(days=1) if is_end else day)
    if form.sort in SORT_LABELS:
        values["sort"] = form.sort
    if form.order in ("asc", "desc"):
        values["order"] = form.order
    if form.page.isdigit() and 0 < int(form.page) < 100_000:
        values["page"] = int(form.page)
    return query_from_dict(values), errors


def form_of_saved(saved: Mapping[str, Any]) -> InstanceForm:
    """The form a saved instance filter (services.monitoring_list.query_to_dict) stands for."""
    query = query_from_dict(saved)

    def day(value: datetime | None, is_end: bool) -> str:
        if value is None:
            return ""
        local = value.astimezone(DISPLAY_TZ) - (timedelta(days=1) if is_end else timedelta(0))
        return local.date().isoformat()

    return InstanceForm(
        process=query.process or "",
        version=str(query.version) if query.version else "",
        state=query.state or "",
        lane=query.lane or "",
        overdue="1" if query.overdue else "",
        case_reference=query.case_reference or "",
        started_from=day(query.started_after, False),
        started_to=day(query.started_before, True),
        updated_from=day(query.updated_after, False),
        updated_to=day(query.updated_before, True),
        sort=query.sort if query.sort != "updated" else "",
        order=query.order if query.order != "desc" else "",
    )
