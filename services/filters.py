"""Shared parsing of list filters (inbox, instance list) from JSON or query-string values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
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
