"""Load and check form schemas (JSON Schema draft 2020-12) and their RJSF-style UI schemas.

A form is the JSON file a BPMN user task names in `formJsonSchemaFilename` (UI: `formUiSchemaFilename`).
Checks run at deploy time, so every message names the problem for the person who wrote the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from forms.errors import SchemaInvalid

# Keywords whose value is a URI reference to another schema; only "#..." (this document) is allowed,
# because resolving anything else would make the server fetch or read files named by a form author.
_REF_KEYWORDS = ("$ref", "$dynamicRef")
_MAX_REF_HOPS = 32


def parse_schema(content: bytes | str, *, source: str = "form") -> dict[str, Any]:
    """Parse JSON text into a dict, raising SchemaInvalid (not ValueError) on bad JSON."""
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SchemaInvalid(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise SchemaInvalid(f"{source}: must be a JSON object, not {type(value).__name__}")
    return value


def load_form_schema(path: Path) -> dict[str, Any]:
    """Read a form schema file and check it."""
    schema = parse_schema(path.read_bytes(), source=path.name)
    try:
        check_form_schema(schema)
    except SchemaInvalid as exc:
        raise SchemaInvalid(f"{path.name}: {exc}") from exc
    return schema


def load_ui_schema(path: Path) -> dict[str, Any]:
    """Read a UI schema file and check it."""
    ui = parse_schema(path.read_bytes(), source=path.name)
    try:
        check_ui_schema(ui)
    except SchemaInvalid as exc:
        raise SchemaInvalid(f"{path.name}: {exc}") from exc
    return ui


def check_form_schema(schema: object) -> None:
    """Raise SchemaInvalid unless `schema` is a valid draft 2020-12 object schema usable as a form."""
    if not isinstance(schema, dict):
        raise SchemaInvalid(f"a form schema must be a JSON object, not {type(schema).__name__}")
    if schema.get("type") != "object":
        raise SchemaInvalid('a form schema must have "type": "object" at the top')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise SchemaInvalid(f"not a valid JSON Schema at {where}: {exc.message}") from exc
    for pointer, keyword, ref in _refs(schema, "#"):
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SchemaInvalid(f'{keyword} at {pointer} must point inside the form ("#/..."), got {ref!r}')
        if keyword == "$ref" and _pointer(schema, ref) is None:
            raise SchemaInvalid(f"$ref at {pointer} points at nothing: {ref}")
    for pointer, name in _property_names(schema, "#"):
        # Dots and a leading "__" are taken by the form-field naming convention (see forms.coerce).
        if "." in name or name.startswith("__"):
            raise SchemaInvalid(f"property name {name!r} at {pointer} may not contain '.' or start with '__'")


def check_ui_schema(ui: object, schema: Mapping[str, Any] | None = None) -> None:
    """Raise SchemaInvalid unless `ui` is a UI schema we understand (RJSF conventions).

    With `schema`, also check that every `ui:order` entry names a property of the form.
    """
    if not isinstance(ui, dict):
        raise SchemaInvalid(f"a UI schema must be a JSON object, not {type(ui).__name__}")
    _check_ui_node(ui, schema, schema or {}, "(top)")


def form_keys(schema: Mapping[str, Any]) -> set[str]:
    """Top-level property names a form may write (incl. those of top-level allOf/oneOf/if branches)."""
    keys: set[str] = set()
    for node in _top_branches(schema):
        props = resolve(schema, node).get("properties")
        if isinstance(props, dict):
            keys.update(props)
    return keys


def resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` chain; sibling keywords override the target's (2020-12 allows siblings)."""
    merged = dict(node)
    for _ in range(_MAX_REF_HOPS):
        ref = merged.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            return merged
        target = _pointer(root, ref)
        siblings = {k: v for k, v in merged.items() if k != "$ref"}
        merged = {**target, **siblings} if isinstance(target, dict) else siblings
    return merged


def json_types(node: Mapping[str, Any]) -> set[str]:
    """The JSON types a schema node allows: its "type" (str or list), else guessed from its keywords."""
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    if "properties" in node:
        return {"object"}
    if "items" in node:
        return {"array"}
    return set()


def _pointer(root: Mapping[str, Any], ref: str) -> object | None:
    """The value at a local JSON pointer "#/a/b" (or the `$anchor` "#name"), or None."""
    if ref not in ("#", "") and not ref.startswith("#/"):
        return _anchor(root, ref[1:])
    node: object = root
    for raw in ref[2:].split("/") if ref.startswith("#/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _anchor(root: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get("$anchor") == name:
                return node
            stack.extend(v for k, v in node.items() if k not in ("enum", "const", "default", "examples"))
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _refs(node: object, pointer: str) -> Iterator[tuple[str, str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REF_KEYWORDS:
                yield pointer, key, value
            # "enum"/"const"/"default"/"examples" hold data, not schemas: a "$ref" key there is just data.
            if key not in ("enum", "const", "default", "examples"):
                yield from _refs(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, f"{pointer}/{i}")


def _property_names(node: object, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from ((f"{pointer}/properties", name) for name in value)
            if key not in ("enum", "const", "default", "examples"):
                yield from _property_names(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _property_names(value, f"{pointer}/{i}")


def _top_branches(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield schema
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or []:
            if isinstance(branch, dict):
                yield branch
    for key in ("then", "else"):
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for branch in (schema.get("dependentSchemas") or {}).values():
        if isinstance(branch, dict):
            yield branch


def _check_ui_node(
    ui: Mapping[str, Any], schema: Mapping[str, Any] | None, root: Mapping[str, Any], where: str
) -> None:
    schema = resolve(root, schema) if schema is not None else None
    props = schema.get("properties") if schema is not None else None
    props = props if isinstance(props, dict) else None
    for key, value in ui.items():
        if key == "ui:order":
            _check_order(value, props, where)
        elif key == "ui:options":
            if not isinstance(value, dict):
                raise SchemaInvalid(f"ui:options at {where} must be an object")
            rows = value.get("rows")
            if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 1):
                raise SchemaInvalid(f"ui:options.rows at {where} must be a positive whole number")
        elif key == "ui:widget":
            if not isinstance(value, str):
                raise SchemaInvalid(f"ui:widget at {where} must be a widget name")
        elif key.startswith("ui:"):
            continue  # other RJSF keys (ui:help, ui:title, ui:classNames, ...) are hints; unknown ones are ignored
        elif not isinstance(value, dict):
            raise SchemaInvalid(f"UI schema for {key!r} at {where} must be an object")
        else:
            sub = _sub_schema(schema, key)
            _check_ui_node(value, sub, root, key if where == "(top)" else f"{where}.{key}")


def _check_order(order: object, props: Mapping[str, Any] | None, where: str) -> None:
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise SchemaInvalid(f"ui:order at {where} must be a list of property names")
    if order.count("*") > 1 or len(set(order)) != len(order):
        raise SchemaInvalid(f"ui:order at {where} lists a name (or '*') twice")
    if props is not None:
        unknown = [n for n in order if n != "*" and n not in props]
        if unknown:
            raise SchemaInvalid(f"ui:order at {where} names unknown properties: {', '.join(unknown)}")


def _sub_schema(schema: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    if schema is None:
        return None
    if key == "items":
        items = schema.get("items")
        return items if isinstance(items, dict) else None
    props = schema.get("properties")
    sub = props.get(key) if isinstance(props, dict) else None
    return sub if isinstance(sub, dict) else None
