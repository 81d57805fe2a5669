"""apply_row_actions: "add row" / "remove row" submit buttons, applied on the server (no JavaScript)."""

from __future__ import annotations

from typing import Any

import forms

ROWS = [
    ("__list__.exploitation_forms", ""),
    ("__row__.exploitation_forms.0", ""),
    ("exploitation_forms.0.form", "forced_labour"),
    ("__row__.exploitation_forms.1", ""),
    ("exploitation_forms.1.form", "begging"),
    ("exploitation_forms.1.primary", "true"),
    ("__row__.exploitation_forms.2", ""),
    ("exploitation_forms.2.form", "other"),
    ("risk_level", "3"),
]


def test_no_action() -> None:
    pairs, requested = forms.apply_row_actions({"type": "object"}, [("a", "1")])
    assert (pairs, requested) == ([("a", "1")], False)


def test_add_row_appends_an_empty_row(schema: dict[str, Any]) -> None:
    pairs, requested = forms.apply_row_actions(schema, [*ROWS, ("__add__.exploitation_forms", "1")])
    assert requested
    assert not any(name.startswith("__add__") for name, _ in pairs)
    rows = forms.coerce_form(schema, pairs)["exploitation_forms"]
    assert len(rows) == 4
    assert rows[3] == {"primary": False}


def test_add_to_an_empty_list(schema: dict[str, Any]) -> None:
    pairs, _ = forms.apply_row_actions(schema, [("__add__.exploitation_forms", "1")])
    assert forms.coerce_form(schema, pairs)["exploitation_forms"] == [{"primary": False}]


def test_remove_row_drops_its_fields_and_closes_the_gap(schema: dict[str, Any]) -> None:
    pairs, requested = forms.apply_row_actions(schema, [*ROWS, ("__remove__.exploitation_forms.1", "1")])
    assert requested
    data = forms.coerce_form(schema, pairs)
    assert data["exploitation_forms"] == [
        {"form": "forced_labour", "primary": False},
        {"form": "other", "primary": False},
    ]
    assert data["risk_level"] == 3


def test_remove_every_row_gives_an_empty_list(schema: dict[str, Any]) -> None:
    actions = [(f"__remove__.exploitation_forms.{i}", "1") for i in range(3)]
    pairs, _ = forms.apply_row_actions(schema, [*ROWS, *actions])
    data = forms.coerce_form(schema, pairs)
    assert data["exploitation_forms"] == []
    assert forms.validate_form(schema, data)["exploitation_forms"] == "This field is required."


def test_add_stops_at_max_items() -> None:
    schema = {
        "type": "object",
        "properties": {"rows": {"type": "array", "maxItems": 2, "items": {"type": "object", "properties": {}}}},
    }
    start = [("__row__.rows.0", ""), ("__row__.rows.1", "")]
    pairs, requested = forms.apply_row_actions(schema, [*start, ("__add__.rows", "1")])
    assert requested
    assert pairs == start


def test_unknown_or_non_list_paths_are_ignored_but_requested(schema: dict[str, Any]) -> None:
    for action in ("__add__.notes", "__add__.nope", "__remove__.exploitation_forms.x", "__add__.service_needs"):
        pairs, requested = forms.apply_row_actions(schema, [*ROWS, (action, "1")])
        assert requested
        assert pairs == ROWS


def test_nested_lists() -> None:
    schema = {
        "type": "object",
        "properties": {
            "people": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "phones": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    }
    start = [("people.0.name", "A"), ("people.0.phones.0", "1"), ("people.0.phones.1", "2"), ("people.1.name", "B")]
    pairs, _ = forms.apply_row_actions(schema, [*start, ("__remove__.people.0.phones.0", "1")])
    assert forms.coerce_form(schema, pairs) == {"people": [{"name": "A", "phones": ["2"]}, {"name": "B"}]}
    pairs, _ = forms.apply_row_actions(schema, [*start, ("__add__.people.1.phones", "1")])
    assert ("__row__.people.1.phones.0", "") in pairs
    grown = forms.coerce_form(schema, pairs)
    assert grown["people"][1] == {"name": "B", "phones": [None]}  # a blank row to type into
    (people,) = forms.build_fields(schema, None, grown, {})
    assert [(f.name, f.value) for f in people.items[1][1].items[0]] == [("people.1.phones.0", "")]
    # Submitted blank, the row is simply not an answer.
    assert forms.coerce_form(schema, [("people.0.phones.0", "")]) == {"people": [{"phones": []}]}
