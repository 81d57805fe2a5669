"""Field views: what the Jinja macros need to render a form, computed in Python from schema + UI schema.

One FieldView per property, in `ui:order`; `widget` names the macro (templates/forms/_<widget>.html.j2).
Values are already HTML strings (options too), so templates never format or compare JSON values.
UI schema conventions follow react-jsonschema-form as SpiffArena uses them: ui:order (with "*"),
ui:widget, ui:help, ui:readonly, ui:disabled, ui:placeholder, ui:title, ui:options, nested per property,
`items` for array rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from forms.i18n import localized, pick, word
from forms.options import choices, html_value, option_pairs
from forms.schema import json_types, resolve
from forms.view import FieldView, Widget

__all__ = ["ROW_INDEX", "FieldView", "Widget", "build_fields", "checkbox_paths", "unplaced_errors"]

TEXTAREA_FROM = 200  # strings allowed to be longer than this get a textarea (the form expects prose)
ROW_INDEX = "__index__"  # index placeholder in the blank template row; coerce ignores it if posted
_FILE_WIDGETS = frozenset({"file", "FileWidget"})
_INPUT_TYPES = {"email": "email", "uri": "url", "tel": "tel"}


@dataclass(frozen=True)
class _Ctx:
    root: Mapping[str, Any]
    errors: Mapping[str, str]
    lang: str
    locked: tuple[bool, bool] = (False, False)  # (readonly, disabled) inherited from a container, as in RJSF


def build_fields(
    schema: Mapping[str, Any],
    ui: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    lang: str = "en",
) -> list[FieldView]:
    """Field views for the top-level properties of `schema`, filled from `data` and `errors`."""
    ctx = _Ctx(schema, errors, lang)
    return _children(ctx, resolve(schema, schema), ui or {}, data if isinstance(data, Mapping) else {}, "")


def unplaced_errors(fields: list[FieldView], errors: Mapping[str, str]) -> dict[str, str]:
    """Errors no field shows (form-level "" or unknown keys), for a summary at the top of the page."""
    names: set[str] = set()
    leaves: list[str] = []
    stack = list(fields)
    while stack:
        view = stack.pop()
        names.add(view.name)
        if view.widget not in ("object", "array"):
            leaves.append(view.name)
        stack.extend(view.children)
        stack.extend(f for row in view.items for f in row)
    return {
        path: message
        for path, message in errors.items()
        if path not in names and not any(path.startswith(f"{leaf}.") for leaf in leaves)
    }


def checkbox_paths(schema: Mapping[str, Any], ui: Mapping[str, Any] | None) -> set[str]:
    """Paths of booleans rendered as a checkbox ("*" for row indexes): pass to coerce_form as rendered_booleans.

    A yes/no question shown as radio buttons or a select is absent when unanswered, not False.
    """
    found: set[str] = set()
    stack = build_fields(schema, ui, {}, {})
    while stack:
        view = stack.pop()
        if view.widget == "checkbox":
            found.add(view.name.replace(ROW_INDEX, "*"))
        stack.extend(view.children)
        stack.extend(view.template)
    return found


def _children(
    ctx: _Ctx, schema: Mapping[str, Any], ui: Mapping[str, Any], data: Mapping[str, Any], path: str
) -> list[FieldView]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = schema.get("required")
    required = set(required) if isinstance(required, list) else set()
    fresh = not data  # schema defaults fill a new form or row, never a field the user has cleared
    views = []
    for name in _ordered(list(props), ui.get("ui:order")):
        sub = props[name]
        if not isinstance(sub, dict):
            continue
        sub_ui = ui.get(name)
        value = data.get(name, resolve(ctx.root, sub).get("default") if fresh else None)
        views.append(
            _field(
                ctx, sub, sub_ui if isinstance(sub_ui, dict) else {}, value, _join(path, name), name, name in required
            )
        )
    return views


def _field(
    ctx: _Ctx, sub: Mapping[str, Any], ui: Mapping[str, Any], value: Any, path: str, key: str, required: bool
) -> FieldView:
    schema = resolve(ctx.root, sub)
    opts = ui.get("ui:options")
    opts = opts if isinstance(opts, dict) else {}
    hint = ui.get("ui:widget", opts.get("widget"))
    widget = _widget(ctx, schema, hint if isinstance(hint, str) else "")
    readonly = bool(ctx.locked[0] or ui.get("ui:readonly") or schema.get("readOnly"))
    disabled = bool(ctx.locked[1] or ui.get("ui:disabled"))
    common: dict[str, Any] = {
        "name": path,
        "widget": widget,
        "label": pick(ui.get("ui:title"), ctx.lang) or localized(schema, "title", ctx.lang) or _humanize(key),
        "help": pick(ui.get("ui:help"), ctx.lang) or localized(schema, "description", ctx.lang),
        "required": required,
        "readonly": readonly,
        "disabled": disabled,
        "error": _error_for(path, ctx.errors, leaf=widget not in ("object", "array")),
        "placeholder": pick(ui.get("ui:placeholder"), ctx.lang) or "",
        "inline": bool(opts.get("inline")),
    }
    if widget in ("object", "array"):
        ctx = replace(ctx, locked=(readonly, disabled))
    if widget == "object":
        nested = value if isinstance(value, Mapping) else {}
        return FieldView(value=None, children=_children(ctx, schema, ui, nested, path), **common)
    if widget == "array":
        return _array(ctx, schema, ui, opts, value, common)
    if widget == "checkboxes":
        items = resolve(ctx.root, schema.get("items") or {})
        chosen = [html_value(v) for v in value] if isinstance(value, list) else []
        return FieldView(value=chosen, options=option_pairs(items, ui.get("items") or {}, ctx.lang), **common)
    return FieldView(value=_scalar_value(widget, value), **common, **_extras(ctx, schema, ui, widget, opts))


def _array(
    ctx: _Ctx,
    schema: Mapping[str, Any],
    ui: Mapping[str, Any],
    opts: Mapping[str, Any],
    value: Any,
    common: dict[str, Any],
) -> FieldView:
    path: str = common["name"]
    items = resolve(ctx.root, schema.get("items") or {})
    raw_ui = ui.get("items")
    items_ui: Mapping[str, Any] = raw_ui if isinstance(raw_ui, dict) else {}
    rows = value if isinstance(value, list) else []
    views = [_row(ctx, items, items_ui, row, f"{path}.{i}", common["label"], i) for i, row in enumerate(rows)]
    blank = _row(ctx, items, items_ui, None, f"{path}.{ROW_INDEX}", common["label"], None)
    low, high = schema.get("minItems"), schema.get("maxItems")
    editable = not (common["readonly"] or common["disabled"])
    return FieldView(
        value=None,
        items=views,
        template=blank,
        can_add=editable
        and opts.get("addable", True) is not False
        and not (isinstance(high, int) and len(rows) >= high),
        can_remove=editable
        and opts.get("removable", True) is not False
        and not (isinstance(low, int) and len(rows) <= low),
        add_label=word("add", ctx.lang),
        remove_label=word("remove", ctx.lang),
        **common,
    )


def _row(
    ctx: _Ctx, items: Mapping[str, Any], ui: Mapping[str, Any], row: Any, path: str, label: str, index: int | None
) -> list[FieldView]:
    if "object" in json_types(items):
        return _children(ctx, items, ui, row if isinstance(row, Mapping) else {}, path)
    number = "" if index is None else f" {index + 1}"  # a list of plain values: one field per row
    return [_field(ctx, items, {"ui:title": f"{label}{number}", **ui}, row, path, path, True)]


def _widget(ctx: _Ctx, schema: Mapping[str, Any], hint: str) -> Widget:
    types = json_types(schema)
    if hint == "hidden" and not types & {"object", "array"}:
        return "hidden"
    if "object" in types:
        return "object"
    if "array" in types:
        items = schema.get("items")
        return "checkboxes" if isinstance(items, dict) and choices(resolve(ctx.root, items)) is not None else "array"
    if choices(schema) is not None or ("boolean" in types and hint in ("radio", "select")):
        return "radio" if hint == "radio" else "select"
    if "boolean" in types:
        return "checkbox"
    if "integer" in types:
        return "integer"
    if "number" in types:
        return "number"
    if hint in _FILE_WIDGETS or "contentMediaType" in schema or schema.get("format") == "data-url":
        return "file"
    if hint == "password":
        return "password"
    if hint in ("date", "alt-date") or schema.get("format") == "date":
        return "date"
    long_text = isinstance(schema.get("maxLength"), int) and schema["maxLength"] > TEXTAREA_FROM
    return "textarea" if hint == "textarea" or long_text else "text"


def _extras(
    ctx: _Ctx, schema: Mapping[str, Any], ui: Mapping[str, Any], widget: Widget, opts: Mapping[str, Any]
) -> dict[str, Any]:
    """Widget-specific attributes: options, bounds, step, rows, input type."""
    extras: dict[str, Any] = {}
    if widget in ("select", "radio"):
        pairs = option_pairs(schema, ui, ctx.lang)
        if not pairs:  # a yes/no question shown as radio buttons or a select
            pairs = [("true", word("yes", ctx.lang)), ("false", word("no", ctx.lang))]
        extras["options"] = pairs
        extras["empty_label"] = word("choose", ctx.lang)
    if widget in ("integer", "number"):
        extras["min"] = _number(schema.get("minimum"))
        extras["max"] = _number(schema.get("maximum"))
        step = _number(schema.get("multipleOf"))
        extras["step"] = str(step) if step is not None else ("1" if widget == "integer" else "any")
    if widget in ("text", "textarea", "password"):
        extras["min_length"] = _number(schema.get("minLength"))
        extras["max_length"] = _number(schema.get("maxLength"))
    if widget == "textarea" and isinstance(opts.get("rows"), int):
        extras["rows"] = opts["rows"]
    if widget == "text":
        hint = ui.get("ui:widget")
        extras["input_type"] = _INPUT_TYPES.get(str(hint), _INPUT_TYPES.get(str(schema.get("format")), "text"))
    return extras


def _scalar_value(widget: Widget, value: Any) -> Any:
    if widget == "checkbox":
        return value is True
    if widget == "password":
        return ""  # a password is never echoed back into the page
    return html_value(value) if isinstance(value, str | int | float | bool) else ""


def _number(value: object) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _error_for(path: str, errors: Mapping[str, str], *, leaf: bool) -> str:
    if path in errors:
        return errors[path]
    if leaf:  # e.g. "service_needs.1" (one ticked value is not allowed) belongs to the checkbox group
        return next((m for p, m in errors.items() if p.startswith(f"{path}.")), "")
    return ""


def _ordered(names: list[str], order: object) -> list[str]:
    """RJSF ui:order: listed names first, "*" stands for the rest; unlisted names go last, unknown ones are skipped."""
    if not isinstance(order, list):
        return names
    listed = [n for n in order if isinstance(n, str) and (n in names or n == "*")]
    rest = [n for n in names if n not in listed]
    if "*" not in listed:
        return listed + rest
    star = listed.index("*")
    return listed[:star] + rest + listed[star + 1 :]


def _humanize(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
