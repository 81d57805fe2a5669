"""Add and remove rows of a list of objects without JavaScript.

The array widget renders submit buttons named `__add__.<path>` and `__remove__.<path>.<i>` (and may render
several remove checkboxes of that name). When one of them is posted the server does not save the task: it
applies the action here, coerces the pairs and re-renders the form with one row more or fewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from forms.options import choices
from forms.schema import resolve

ADD = "__add__."
REMOVE = "__remove__."
_MARKERS = ("__row__.", "__list__.", "__file__.")


def apply_row_actions(
    schema: Mapping[str, Any], pairs: Iterable[tuple[str, str]]
) -> tuple[list[tuple[str, str]], bool]:
    """(pairs with add/remove applied and the action names dropped, whether an action was requested).

    Actions naming no list of the schema are ignored (but still count as requested, so the caller
    re-renders instead of completing the task). An add beyond `maxItems` is ignored.
    """
    posted = list(pairs)
    adds = [name[len(ADD) :] for name, _ in posted if name.startswith(ADD)]
    removes = [name[len(REMOVE) :] for name, _ in posted if name.startswith(REMOVE)]
    kept = [(name, value) for name, value in posted if not name.startswith((ADD, REMOVE))]
    for row in removes:
        path, _, index = row.rpartition(".")
        if path and _is_index(index) and _rows_schema(schema, path) is not None:
            kept = [(name, value) for name, value in kept if not _within(_base(name), row)]
    for path in adds:
        rows = _rows_schema(schema, path)
        if rows is None:
            continue
        indexes = _indexes(kept, path)
        limit = rows.get("maxItems")
        if isinstance(limit, int) and len(indexes) >= limit:
            continue
        # The marker makes coerce create an empty row; fields then renders it with empty inputs.
        kept.append((f"__row__.{path}.{max(indexes, default=-1) + 1}", ""))
    return kept, bool(adds or removes)


def _rows_schema(root: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    """The schema of the list at dotted `path` if it is a list of rows (not a checkbox group)."""
    node = resolve(root, root)
    for segment in path.split("."):
        props = node.get("properties")
        items = node.get("items")
        if _is_index(segment) and isinstance(items, dict):
            node = resolve(root, items)
        elif isinstance(props, dict) and isinstance(props.get(segment), dict):
            node = resolve(root, props[segment])
        else:
            return None
    items = node.get("items")
    if node.get("type") != "array" or not isinstance(items, dict) or choices(resolve(root, items)) is not None:
        return None
    return node


def _indexes(pairs: list[tuple[str, str]], path: str) -> set[int]:
    prefix = f"{path}."
    found: set[int] = set()
    for name, _ in pairs:
        base = _base(name)
        if base.startswith(prefix):
            segment = base[len(prefix) :].split(".", 1)[0]
            if _is_index(segment) and len(segment) <= 18:  # bounded: int() of a huge digit string is slow
                found.add(int(segment))
    return found


def _base(name: str) -> str:
    for marker in _MARKERS:
        if name.startswith(marker):
            return name[len(marker) :]
    return name


def _within(name: str, row: str) -> bool:
    return name == row or name.startswith(f"{row}.")


def _is_index(segment: str) -> bool:
    return segment.isascii() and segment.isdigit()
