"""Shared parsing of list filters (inbox, instance list) from JSON or query-string values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from services.errors import InvalidInput


class _Query(Protocol):
    def errors(self) -> dict[str, str]: ...


Q = TypeVar("Q", bound=_Query)


def query_from_values(
    values: Mapping[str, Any],
    *,
    keys: Collection[str],
    parse: Callable[[str, Any], Any],
    build: Callable[..., Q],
    what: str,
) -> Q:
    """Parse each known key with `parse`, build the query, and name every bad key in one InvalidInput."""
    unknown = sorted(set(values) - {*keys, "page"})
    problems = dict.fromkeys(unknown, f"not an {what}")
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        if key in unknown or value is None or value == "":
            continue
        try:
            parsed[key] = parse(key, value)
        except (TypeError, ValueError) as exc:
            problems[key] = str(exc) or "invalid value"
    if problems:
        raise InvalidInput(f"the {what} is not valid", problems)
    query = build(**parsed)
    problems = query.errors()
    if problems:
        raise InvalidInput(f"the {what} is not valid", problems)
    return query


def aware(value: datetime) -> datetime:
    """A naive date-time from a form or query string is taken as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def value_parser(date_keys: Collection[str]) -> Callable[[str, Any], Any]:
    """The `parse` for query_from_values: whole numbers (version, page, per_page), the `overdue` flag,
    ISO date-times for `date_keys`, and strings for everything else."""

    def parse(key: str, value: Any) -> Any:
        if key in ("version", "page", "per_page"):
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError("a whole number")
            return int(value)
        if key == "overdue":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1", "yes", "on"):
                return True
            if str(value).lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError("true or false")
        if key in date_keys:
            return aware(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))
        if not isinstance(value, str):
            raise TypeError("a string")
        return value

    return parse
