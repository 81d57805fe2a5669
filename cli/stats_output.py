"""Flatten the nested statistics tables into (table, key, value) rows for CSV."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def flatten_rows(tables: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    for name, value in tables.items():
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if isinstance(inner, Mapping):
                    yield from flatten_rows({f"{name}.{key}": inner}, prefix)
                else:
                    yield (f"{prefix}{name}", str(key), inner)
        else:
            yield (f"{prefix}{name}", "", value)
