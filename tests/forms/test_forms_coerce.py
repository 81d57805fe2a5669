"""coerce_form: HTML form-encoded pairs -> typed JSON per the schema."""

from __future__ import annotations

from typing import Any

import pytest

import forms
from forms.coerce import is_rendered


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


INT = obj(n={"type": "integer"})
NUM = obj(x={"type": "number"})
BOOL = obj(flag={"type": "boolean"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3), (" 42 ", 42), ("-7", -7), ("+5", 5), ("3.0", 3), ("1e3", 1000), ("3.5", 3.5)],
)
def test_integers(raw: str, expected: object) -> None:
    value = forms.coerce_form(INT, [("n", raw)])["n"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("raw", ["abc", "1_000", "12abc", "nan", "inf", "1" * 80, "٣x"])
def test_bad_integers_stay_raw_for_validation(raw: str) -> None:
    assert forms.coerce_form(INT, [("n", raw)]) == {"n": raw}


@pytest.mark.parametrize(("raw", "expected"), [("3.25", 3.25), ("3,5", 3.5), ("-0.5", -0.5), ("2", 2), ("1e-3", 0.001)])
def test_numbers(raw: str, expected: float) -> None:
    assert forms.coerce_form(NUM, [("x", raw)]) == {"x": expected}


def test_bad_number_stays_raw() -> None:
    assert forms.coerce_form(NUM, [("x", "three")]) == {"x": "three"}
    assert forms.coerce_form(NUM, [("x", "1,000.5")]) == {"x": "1,000.5"}


@pytest.mark.parametrize("raw", ["true", "on", "1", "yes", "TRUE", " On "])
def test_true_booleans(raw: str) -> None:
    assert forms.coerce_form(BOOL, [("flag", raw)]) == {"flag": True}


@pytest.mark.parametrize("raw", ["false", "off", "0", "no", "", "No"])
def test_false_booleans(raw: str) -> None:
    assert forms.coerce_form(BOOL, [("flag", raw)]) == {"flag": False}


def test_unparseable_boolean_stays_raw() -> None:
    assert forms.coerce_form(BOOL, [("flag", "maybe")]) == {"flag": "maybe"}


def test_absent_checkbox_is_false() -> None:
    assert forms.coerce_form(BOOL, []) == {"flag": False}


def test_absent_boolean_not_rendered_as_checkbox_stays_absent() -> None:
    schema = obj(flag={"type": "boolean"}, consent={"type": "boolean"})
    assert forms.coerce_form(schema, [], rendered_booleans={"flag"}) == {"flag": False}
    assert forms.coerce_form(schema, [], rendered_booleans=set()) == {}


def test_absent_checkbox_in_rows_matches_star_paths(schema: dict[str, Any]) -> None:
    pairs = [("exploitation_forms.0.form", "begging"), ("exploitation_forms.1.form", "other")]
    data = forms.coerce_form(schema, pairs, rendered_booleans={"exploitation_forms.*.primary"})
    assert data["exploitation_forms"] == [{"form": "begging", "primary": False}, {"form": "other", "primary": False}]
    assert is_rendered("a.12.b", {"a.*.b"})
    assert not is_rendered("a.x.b", {"a.*.b"})


def test_repeated_scalar_takes_the_last_value() -> None:
    # The hidden-copy pattern ("false" then the checkbox's "true") relies on this.
    assert forms.coerce_form(BOOL, [("flag", "false"), ("flag", "true")]) == {"flag": True}


def test_strings_keep_unicode_and_normalise_line_breaks() -> None:
    schema = obj(name={"type": "string"}, notes={"type": "string"})
    data = forms.coerce_form(schema, [("name", "Äijälä Ŝtȩfan 李"), ("notes", "line 1\r\nline 2 😀")])
    assert data == {"name": "Äijälä Ŝtȩfan 李", "notes": "line 1\nline 2 😀"}


def test_empty_answers_are_omitted() -> None:
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "nick": {"type": "string"},
            "age": {"type": "integer"},
            "born": {"type": "string", "format": "date"},
            "weight": {"type": "number"},
        },
    }
    pairs = [("name", ""), ("nick", "  "), ("age", ""), ("born", ""), ("weight", "")]
    assert forms.coerce_form(schema, pairs) == {}
    assert forms.validate_form(schema, {}) == {"name": "This field is required."}


def test_nullable_types_clear_to_none() -> None:
    schema = obj(note={"type": ["string", "null"]}, count={"type": ["integer", "null"]})
    assert forms.coerce_form(schema, [("note", ""), ("count", "")]) == {"note": None, "count": None}
    assert forms.coerce_form(schema, [("note", "hi"), ("count", "4")]) == {"note": "hi", "count": 4}
    assert forms.coerce_form(schema, [("count", "x")]) == {"count": "x"}


def test_union_of_integer_and_string() -> None:
    schema = obj(v={"type": ["integer", "string"]})
    assert forms.coerce_form(schema, [("v", "12")]) == {"v": 12}
    assert forms.coerce_form(schema, [("v", "twelve")]) == {"v": "twelve"}


def test_enum_of_integers_and_booleans_map_back_to_real_values() -> None:
    schema = obj(
        level={"type": "integer", "enum": [1, 2, 3]},
        answer={"enum": [True, False, None]},
        size={"oneOf": [{"const": 10, "title": "Small"}, {"const": 20.5, "title": "Large"}]},
        blank={"type": "string", "enum": ["", "x"]},
    )
    pairs = [("level", "2"), ("answer", "false"), ("size", "20.5"), ("blank", "")]
    assert forms.coerce_form(schema, pairs) == {"level": 2, "answer": False, "size": 20.5, "blank": ""}
    assert forms.coerce_form(schema, [("answer", "")]) == {"answer": None}
    # Not an option: typed if possible, then validation says "Choose one of the listed options."
    assert forms.coerce_form(schema, [("level", "9")]) == {"level": 9}
    errors = forms.validate_form(schema, {"level": 9})
    assert errors == {"level": "Choose one of the listed options."}


def test_checkbox_group_from_a_repeated_name(schema: dict[str, Any]) -> None:
    pairs = [("service_needs", "health_care"), ("service_needs", "legal_aid"), ("service_needs", "")]
    assert forms.coerce_form(schema, pairs)["service_needs"] == ["health_care", "legal_aid"]


def test_checkbox_group_of_integers() -> None:
    schema = obj(days={"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}})
    assert forms.coerce_form(schema, [("days", "3"), ("days", "1")]) == {"days": [3, 1]}


def test_checkbox_group_nothing_ticked() -> None:
    schema = obj(tags={"type": "array", "items": {"enum": ["a", "b"]}})
    assert forms.coerce_form(schema, []) == {}  # not on the page: not answered
    assert forms.coerce_form(schema, [("__list__.tags", "")]) == {"tags": []}  # on the page, nothing ticked


def test_rows_rebuilt_in_index_order_with_gaps_removed(schema: dict[str, Any]) -> None:
    pairs = [
        ("exploitation_forms.10.form", "other"),
        ("exploitation_forms.2.form", "begging"),
        ("exploitation_forms.2.primary", "on"),
        ("exploitation_forms.0.form", "forced_labour"),
        ("exploitation_forms.x.form", "organ_removal"),  # not an index: dropped
        ("exploitation_forms.__index__.form", "child_soldier"),  # template row: dropped
    ]
    assert forms.coerce_form(schema, pairs)["exploitation_forms"] == [
        {"form": "forced_labour", "primary": False},
        {"form": "begging", "primary": True},
        {"form": "other", "primary": False},
    ]


def test_row_marker_keeps_a_row_whose_only_box_is_unticked() -> None:
    schema = obj(items={"type": "array", "items": obj(done={"type": "boolean"})})
    assert forms.coerce_form(schema, [("__row__.items.0", ""), ("__row__.items.1", "")]) == {
        "items": [{"done": False}, {"done": False}]
    }
    assert forms.coerce_form(schema, [("__list__.items", "")]) == {"items": []}


def test_array_of_plain_values_by_index() -> None:
    schema = obj(phones={"type": "array", "items": {"type": "string"}})
    pairs = [("phones.1", "+358 40 2"), ("phones.0", "+358 40 1"), ("phones.2", "")]
    assert forms.coerce_form(schema, pairs) == {"phones": ["+358 40 1", "+358 40 2"]}


def test_nested_objects_and_refs() -> None:
    schema = {
        "type": "object",
        "$defs": {"person": obj(given_names={"type": "string"}, age={"type": "integer"}, minor={"type": "boolean"})},
        "properties": {"client": {"$ref": "#/$defs/person"}},
    }
    data = forms.coerce_form(schema, [("client.given_names", "Ana"), ("client.age", "17"), ("client.minor", "on")])
    assert data == {"client": {"given_names": "Ana", "age": 17, "minor": True}}
    # Absent nested object: its checkbox still counts as unticked.
    assert forms.coerce_form(schema, []) == {"client": {"minor": False}}


def test_recursive_schema_does_not_recurse_for_ever() -> None:
    schema = {"type": "object", "properties": {"flag": {"type": "boolean"}, "child": {"$ref": "#"}}}
    data = forms.coerce_form(schema, [])
    depth = 0
    while "child" in data:
        data, depth = data["child"], depth + 1
    assert depth <= forms.MAX_DEPTH


def test_unknown_keys_are_kept_for_validation_to_refuse(schema: dict[str, Any]) -> None:
    pairs = [("lane_owners", "x"), ("risk_level", "2"), ("deep.a", "1"), ("deep.a", "2"), ("exploited_in", "both")]
    data = forms.coerce_form(schema, pairs)
    assert data["lane_owners"] == "x"
    assert data["deep"] == {"a": ["1", "2"]}
    errors = forms.validate_form(schema, data)
    assert errors["lane_owners"] == "This field is not part of the form."
    assert errors["deep"] == "This field is not part of the form."


def test_control_names_are_not_data(schema: dict[str, Any]) -> None:
    pairs = [("__add__.exploitation_forms", "1"), ("__file__.notes", "x"), ("__csrf", "t"), ("risk_level", "1")]
    data = forms.coerce_form(schema, pairs)
    assert not any(key.startswith("__") for key in data)


def test_hostile_deep_names_do_not_recurse() -> None:
    name = ".".join(["a"] * 5000)
    data = forms.coerce_form(obj(), [(name, "x")])
    errors = forms.validate_form(obj(), data)
    assert errors  # refused as too deep, no RecursionError


def test_huge_index_is_fine() -> None:
    schema = obj(rows={"type": "array", "items": obj(a={"type": "string"})})
    data = forms.coerce_form(schema, [("rows." + "9" * 5000 + ".a", "x"), ("rows.3.a", "y")])
    assert data == {"rows": [{"a": "y"}, {"a": "x"}]}


def test_scalar_posted_for_an_object_stays_raw() -> None:
    schema = obj(client=obj(name={"type": "string"}))
    data = forms.coerce_form(schema, [("client", "oops")])
    assert data == {"client": "oops"}
    assert forms.validate_form(schema, data) == {"client": "Must be a group of fields."}


def test_full_example_round_trip(schema: dict[str, Any]) -> None:
    pairs = [
        ("exploitation_forms.0.form", "sexual_exploitation"),
        ("exploitation_forms.0.primary", "true"),
        ("exploitation_forms.1.form", "forced_criminality"),
        ("exploited_in", "abroad"),
        ("service_needs", "safe_accommodation"),
        ("notes", "Kertoi työskennelleensä ravintolassa."),
        ("assessed_on", "2024-05-31"),
        ("interpreter_needed", "on"),
        ("risk_level", "4"),
    ]
    data = forms.coerce_form(schema, pairs)
    assert data == {
        "exploitation_forms": [
            {"form": "sexual_exploitation", "primary": True},
            {"form": "forced_criminality", "primary": False},
        ],
        "exploited_in": "abroad",
        "service_needs": ["safe_accommodation"],
        "notes": "Kertoi työskennelleensä ravintolassa.",
        "assessed_on": "2024-05-31",
        "interpreter_needed": True,
        "risk_level": 4,
    }
    assert forms.validate_form(schema, data) == {}
