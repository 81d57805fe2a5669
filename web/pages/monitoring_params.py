"""The instance list's query string <-> services.monitoring_list.InstanceQuery (and saved filters <-> links).

The page speaks in calendar dates (Finnish time); the service in UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from services.monitoring_list import InstanceQuery, query_from_dict
from web.i18n import N_
from web.pages.filter_forms import FilterForm, boundary_day, common_values, day_boundary, parse_day

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
class InstanceForm(FilterForm):
    """The filter form as typed (strings), so it re-renders exactly, errors or not."""

    PATH: ClassVar[str] = "/monitoring/instances"

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


def parse_form(params: Mapping[str, str]) -> InstanceForm:
    return InstanceForm.of(params)


def to_query(form: InstanceForm) -> tuple[InstanceQuery, dict[str, str]]:
    """The service query for the form, and per-field errors (invalid values are left out)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"per_page": PER_PAGE, **common_values(form, SORT_LABELS, errors)}
    if form.state:
        if form.state in STATES:
            values["state"] = form.state
        else:
            errors["state"] = N_("Choose a state from the list.")
    if form.overdue in ("1", "true", "on"):
        values["overdue"] = True
    for name, (key, is_end) in _RANGES.items():
        day = parse_day(getattr(form, name), errors, name)
        if day is not None:
            values[key] = day_boundary(day, is_end)
    return query_from_dict(values), errors


def form_of_saved(saved: Mapping[str, Any]) -> InstanceForm:
    """The form a saved instance filter (services.monitoring_list.query_to_dict) stands for."""
    query = query_from_dict(saved)
    return InstanceForm(
        process=query.process or "",
        version=str(query.version) if query.version else "",
        state=query.state or "",
        lane=query.lane or "",
        overdue="1" if query.overdue else "",
        case_reference=query.case_reference or "",
        started_from=boundary_day(query.started_after, False),
        started_to=boundary_day(query.started_before, True),
        updated_from=boundary_day(query.updated_after, False),
        updated_to=boundary_day(query.updated_before, True),
        sort=query.sort if query.sort != "updated" else "",
        order=query.order if query.order != "desc" else "",
    )
