"""Choices of a field (`enum`, or `oneOf`/`anyOf` of `const` + `title`) and their HTML string form.

HTML posts every value as a string; `html_value` writes an option and `match_option` maps a posted string
back to the option's real JSON value (integer, boolean, null), so enums of non-strings round-trip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from forms.i18n import localized

# A distinct object, because None is a legitimate option value (JSON null).
NO_MATCH: Any = object()


def choices(node: Mapping[str, Any]) -> list[tuple[Any, Mapping[str, Any]]] | None:
    """[(value, the branch describing it)] for a choice field, or None if `node` is not one."""
    enum = node.get("enum")
    if isinstance(enum, list):
        return [(value, {}) for value in enum]
    for key in ("oneOf", "anyOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches and all(_is_const(b) for b in branches):
            return [(_const(b), b) for b in branches]
    return None


def option_pairs(node: Mapping[str, Any], ui: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """[(html value, label)] in schema order; labels from x-title/title, or x-enumNames/(ui:)enumNames."""
    found = choices(node) or []
    names = ui.get("ui:enumNames", node.get("enumNames"))
    per_lang = _lang_list(node.get("x-enumNames"), lang)
    pairs: list[tuple[str, str]] = []
    for i, (value, branch) in enumerate(found):
        label = localized(branch, "title", lang) if branch else ""
        for listed in (per_lang, names):
            if not label and isinstance(listed, list) and i < len(listed) and isinstance(listed[i], str):
                label = listed[i]
        pairs.append((html_value(value), label or html_value(value)))
    return pairs


def html_value(value: object) -> str:
    """The string an HTML control holds for a JSON value ("" for null, "true"/"false" for booleans)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def match_option(node: Mapping[str, Any], raw: str) -> Any:
    """The option whose HTML value is `raw`, or NO_MATCH (then type coercion and validation take over)."""
    for value, _branch in choices(node) or []:
        if html_value(value) == raw:
            return value
    return NO_MATCH


def _lang_list(value: object, lang: str) -> object:
    """`x-enumNames: {"fi": [...], "en": [...]}` -> the list for `lang` (or its primary subtag)."""
    if not isinstance(value, Mapping):
        return None
    return value.get(lang, value.get(lang.split("-")[0].lower()))


def _is_const(branch: object) -> bool:
    if not isinstance(branch, Mapping):
        return False
    enum = branch.get("enum")
    return "const" in branch or (isinstance(enum, list) and len(enum) == 1)


def _const(branch: Mapping[str, Any]) -> Any:
    return branch["const"] if "const" in branch else branch["enum"][0]
