"""Turn HTML form-encoded pairs into typed JSON per the form's schema.

Field names (the templates write them; coerce, validate and fields use the same dotted paths):
- a top-level property is its name: `notes`, `risk_level`;
- a nested property joins names with dots: `client.given_names`;
- an array item adds its 0-based index: `exploitation_forms.0.form`, `exploitation_forms.1.primary`.
  Rows are rebuilt in index order and gaps are closed (`.0` and `.3` give two rows);
- a checkbox group (array of enum) repeats its name once per ticked box: `service_needs` twice.
Names starting with `__` are controls, never data:
- `__add__.<path>`, `__remove__.<path>.<i>`: row buttons (forms.rows applies them);
- `__row__.<path>.<i>`: hidden marker so a row exists even if its only field is an unticked box;
- `__list__.<path>`: hidden marker saying "this list was on the page", so nothing ticked / every row
  removed gives `[]` (otherwise an absent list is simply omitted);
- `__file__.<path>`: an upload; the web layer stores it and posts the document id under `<path>`.
So property names may not contain "." nor start with "__" (check_form_schema refuses them).

Values: an empty string means "no answer" and the key is omitted, except for booleans ("" is False),
choices that list "" as an option, and nullable types (`["string", "null"]`: None, which clears a value).
A number that does not parse stays the raw string, so validation reports it next to the field.
Keys the schema does not know are kept as strings so that validation can refuse them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.limits import MAX_DEPTH
from forms.options import NO_MATCH, choices, match_option
from forms.schema import json_types, resolve

_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"false", "off", "0", "no", ""})
_MARKERS = ("__row__.", "__list__.")
_OMIT: Any = object()


@dataclass
class _Node:
    """Posted values and sub-names under one dotted path."""

    values: list[str] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


def coerce_form(
    schema: Mapping[str, Any],
    pairs: Iterable[tuple[str, str]],
    rendered_booleans: set[str] | None = None,
) -> dict[str, Any]:
    """Typed JSON for the form from `pairs` (form-encoded name/value strings, in posted order).

    A boolean missing from the pairs is an unticked checkbox and becomes False, if it was rendered as a
    checkbox: `rendered_booleans` holds those paths ("*" matches any row index, see
    forms.checkbox_paths); None means every boolean of the schema.
    """
    tree = _build_tree(pairs)
    return _object(schema, schema, tree, "", rendered_booleans)


def is_rendered(path: str, rendered: set[str] | None) -> bool:
    """Whether `path` (with real indexes) is in `rendered` (which may use "*" for any index)."""
    if rendered is None or path in rendered:
        return True
    return ".".join("*" if _is_index(seg) else seg for seg in path.split(".")) in rendered


def _build_tree(pairs: Iterable[tuple[str, str]]) -> _Node:
    root = _Node()
    for name, value in pairs:
        marker = next((m for m in _MARKERS if name.startswith(m)), None)
        if marker is None and name.startswith("__"):
            continue
        segments = name[len(marker) :].split(".") if marker else name.split(".")
        if len(segments) > MAX_DEPTH + 1:
            # Keep hostile deep names as one long key: still refused by validation, but no deep recursion.
            segments = [*segments[:MAX_DEPTH], ".".join(segments[MAX_DEPTH:])]
        node = root
        for segment in segments:
            node = node.children.setdefault(segment, _Node())
        if marker is None:
            node.values.append(value)
    return root


def _object(
    root: Mapping[str, Any], node_schema: Mapping[str, Any], node: _Node, path: str, rendered: set[str] | None
) -> dict[str, Any]:
    schema = resolve(root, node_schema)
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    extra = schema.get("additionalProperties")
    out: dict[str, Any] = {}
    for name, child in node.children.items():
        sub = props.get(name, extra)
        if not isinstance(sub, dict):
            out[name] = _raw(child)
            continue
        value = _value(root, sub, child, _join(path, name), rendered)
        if value is not _OMIT:
            out[name] = value
    for name, sub in props.items():
        if name not in node.children and isinstance(sub, dict):
            value = _absent(root, sub, _join(path, name), rendered)
            if value is not _OMIT:
                out[name] = value
    return out


def _value(
    root: Mapping[str, Any],
    sub: Mapping[str, Any],
    node: _Node,
    path: str,
    rendered: set[str] | None,
) -> Any:
    schema = resolve(root, sub)
    types = json_types(schema)
    if "object" in types and (node.children or not node.values):
        return _object(root, schema, node, path, rendered)
    if "array" in types and choices(schema) is None:
        return _array(root, schema, node, path, rendered)
    if not node.values:
        # Only a row marker (a row just added to a list of plain values): an empty row, shown as a blank input.
        return _raw(node) if node.children else None
    return _scalar(schema, types, node.values[-1])  # a repeated scalar: the last one wins, as in most servers


def _array(
    root: Mapping[str, Any], schema: Mapping[str, Any], node: _Node, path: str, rendered: set[str] | None
) -> Any:
    items = schema.get("items")
    items = resolve(root, items) if isinstance(items, dict) else {}
    out: list[Any] = []
    for raw in node.values:  # checkbox group: one value per ticked box
        value = _scalar(items, json_types(items), raw)
        if value is not _OMIT:
            out.append(value)
    rows = sorted((k for k in node.children if _is_index(k)), key=lambda k: (len(k.lstrip("0")), k.lstrip("0")))
    for key in rows:  # non-numeric keys under a list (e.g. a template row's "__index__") are dropped
        value = _value(root, items, node.children[key], f"{path}.{len(out)}", rendered)
        if value is not _OMIT:
            out.append(value)
    return out


def _absent(root: Mapping[str, Any], sub: Mapping[str, Any], path: str, rendered: set[str] | None) -> Any:
    """The value of a property nobody posted: False for a rendered checkbox, else omitted."""
    if path.count(".") >= MAX_DEPTH:
        return _OMIT  # a recursive schema ($ref "#") must not make us recurse for ever
    schema = resolve(root, sub)
    types = json_types(schema)
    if types == {"boolean"} and choices(schema) is None and is_rendered(path, rendered):
        return False
    if "object" in types:
        value = _object(root, schema, _Node(), path, rendered)
        return value or _OMIT
    return _OMIT


def _scalar(schema: Mapping[str, Any], types: set[str], raw: str) -> Any:
    option = match_option(schema, raw)
    if option is not NO_MATCH:
        return option
    text = raw.strip()
    if "boolean" in types and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if not text:
        return None if "null" in types else _OMIT
    if types & {"integer", "number"}:
        number = _number(text)
        if isinstance(number, float) and number.is_integer():
            number = int(number)  # "3.0" or "1e3" for an integer field; JSON does not tell 3 from 3.0 anyway
        if not isinstance(number, str):
            return number
        if "string" not in types:
            return raw
    # Browsers post textarea line breaks as CRLF; store LF so lengths match what the user typed.
    return raw.replace("\r\n", "\n")


def _number(text: str) -> int | float | str:
    """int or float for a number as people type it ("3", "-2", "3.5", "3,5"); the text itself if not one."""
    if "_" in text or len(text) > 64:  # Python accepts "1_000"; people do not type it, and long input is noise
        return text
    try:
        return int(text)
    except ValueError:
        pass
    decimal = text.replace(",", ".") if "," in text and "." not in text else text
    try:
        value = float(decimal)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _raw(node: _Node) -> Any:
    """A name the schema does not describe, kept as posted so validation can refuse it."""
    if node.children:
        return {name: _raw(child) for name, child in node.children.items()}
    if len(node.values) == 1:
        return node.values[0]
    return list(node.values)


def _is_index(segment: str) -> bool:
    return segment.isascii() and segment.isdigit()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
