"""The inbox page's query string <-> services.inbox.InboxQuery (and saved filters <-> links).

The page speaks in views ("mine", "team", "completed", "all") and calendar dates (due from/to, in
Finnish time); the service speaks in scope/status and UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from services.inbox import InboxQuery, Scope, SortKey, Status, query_from_dict
from web.pages.filter_forms import FilterForm, boundary_day, common_values, day_boundary, parse_day

VIEWS: dict[str, tuple[Scope, Status]] = {
    "mine": ("mine", "open"),
    "team": ("team", "open"),
    "completed": ("mine", "completed"),
    "all": ("all", "open"),
}
SORTS = ("due", "created", "priority", "completed")
PER_PAGE = 25


@dataclass(frozen=True)
class InboxForm(FilterForm):
    """The filter form as typed (strings), so it re-renders exactly, errors or not."""

    PATH: ClassVar[str] = "/inbox"
    NOT_FILTERS: ClassVar[tuple[str, ...]] = ("view", "sort", "order", "page")

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


def parse_form(params: Mapping[str, str]) -> InboxForm:
    form = InboxForm.of(params)
    return form if form.view in VIEWS else replace(form, view="mine")


def to_query(form: InboxForm) -> tuple[InboxQuery, dict[str, str]]:
    """The service query for the form, and per-field errors (invalid values are left out of the query)."""
    errors: dict[str, str] = {}
    scope, status = VIEWS[form.view]
    values: dict[str, Any] = {"scope": scope, "status": status, "per_page": PER_PAGE}
    if status == "completed":
        values["sort"] = "completed"  # the default order of that view; a chosen sort below wins
    values |= common_values(form, SORTS, errors)
    due_from = parse_day(form.due_from, errors, "due_from")
    due_to = parse_day(form.due_to, errors, "due_to")
    if due_from is not None:
        values["due_after"] = day_boundary(due_from, is_end=False)
    if due_to is not None:
        values["due_before"] = day_boundary(due_to, is_end=True)
    return query_from_dict(values), errors


def form_of_saved(saved: Mapping[str, Any]) -> InboxForm:
    """The inbox form that a saved filter (services.inbox.query_to_dict) stands for."""
    query = query_from_dict(saved)
    view = next((name for name, pair in VIEWS.items() if pair == (query.scope, query.status)), "mine")
    default_sort = "completed" if query.status == "completed" else "due"
    return InboxForm(
        view=view,
        process=query.process or "",
        version=str(query.version) if query.version else "",
        lane=query.lane or "",
        case_reference=query.case_reference or "",
        due_from=boundary_day(query.due_after, is_end=False),
        due_to=boundary_day(query.due_before, is_end=True),
        sort=query.sort if query.sort != default_sort else "",
        order=query.order or "",
    )


def sort_options(form: InboxForm) -> list[str]:
    keys: list[SortKey] = ["due", "created", "priority"]
    if VIEWS[form.view][1] == "completed":
        keys.insert(0, "completed")
    return list(keys)
