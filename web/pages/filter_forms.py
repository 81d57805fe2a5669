"""What the list pages' filter forms share (the inbox, the instance list, the access log).

A filter form is a frozen dataclass of strings, exactly as typed, so it re-renders unchanged whether
or not it has errors; `to_query` of each page turns it into the service's query. Dates are calendar
days in Finnish time; a day range runs from the first day's midnight up to (not including) the
midnight after the last day, in UTC for the services.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Protocol, Self
from urllib.parse import urlencode

from web.i18n import DISPLAY_TZ, N_

MAX_LENGTH = 200  # a longer value is cut: no filter needs more, and it keeps links short


@dataclass(frozen=True)
class FilterForm:
    """Base of a page's filter form: the subclass names its fields (all strings) and its page's path."""

    PATH: ClassVar[str]
    NOT_FILTERS: ClassVar[tuple[str, ...]] = ("sort", "order", "page")  # fields that only arrange the list

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Self:
        """The form as typed in the query string; unknown parameters are ignored."""
        return cls(**{k: str(params[k]).strip()[:MAX_LENGTH] for k in cls.__dataclass_fields__ if params.get(k)})

    def url(self, **changes: str) -> str:
        """The page with these values (empty ones left out), e.g. form.url(page="2")."""
        values = {k: v for k, v in asdict(replace(self, **changes)).items() if v}
        return self.PATH + (f"?{urlencode(values)}" if values else "")

    def query_string(self, **changes: str) -> str:
        return self.url(**changes).partition("?")[2]

    @property
    def has_filters(self) -> bool:
        return any(v for k, v in asdict(self).items() if k not in self.NOT_FILTERS)


class ListFilters(Protocol):
    """The fields every list filter form has."""

    @property
    def process(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def lane(self) -> str: ...
    @property
    def case_reference(self) -> str: ...
    @property
    def sort(self) -> str: ...
    @property
    def order(self) -> str: ...
    @property
    def page(self) -> str: ...


def common_values(form: ListFilters, sorts: Container[str], errors: dict[str, str]) -> dict[str, Any]:
    """Query values of the fields every list has (process, version, lane, case, sort, order, page).

    `sorts` holds the sort keys the list knows; an invalid version is an error, other invalid values
    are simply left out."""
    values: dict[str, Any] = {}
    for name in ("process", "lane", "case_reference"):
        if getattr(form, name):
            values[name] = getattr(form, name)
    if form.version:
        if form.version.isdigit() and 0 < int(form.version) < 1_000_000:
            values["version"] = int(form.version)
        else:
            errors["version"] = N_("Enter a version number.")
    if form.sort in sorts:
        values["sort"] = form.sort
    if form.order in ("asc", "desc"):
        values["order"] = form.order
    if form.page.isdigit() and 0 < int(form.page) < 100_000:
        values["page"] = int(form.page)
    return values


def parse_day(value: str, errors: dict[str, str], name: str) -> date | None:
    """The date typed in field `name` (None when empty; an error when not YYYY-MM-DD)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = N_("Enter a date as YYYY-MM-DD.")
        return None


def day_boundary(day: date, is_end: bool) -> datetime:
    """Where a range starting on `day` begins, or one ending on `day` ends (the next midnight), in UTC."""
    local = day + timedelta(days=1) if is_end else day
    return datetime.combine(local, time(0), tzinfo=DISPLAY_TZ).astimezone(UTC)


def boundary_day(value: datetime | None, is_end: bool) -> str:
    """The calendar day (YYYY-MM-DD) that `day_boundary` turned into `value`; "" for None."""
    if value is None:
        return ""
    local = value.astimezone(DISPLAY_TZ) - (timedelta(days=1) if is_end else timedelta(0))
    return local.date().isoformat()
