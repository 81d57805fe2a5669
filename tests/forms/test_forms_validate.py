"""validate_form: errors keyed by dotted field path, in plain words; hostile input as field errors."""

from __future__ import annotations

from typing import Any

import pytest

import forms
from forms.validate import MAX_STRING


def valid(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exploitation_forms": [{"form": "forced_labour", "primary": True}],
        "exploited_in": "finland",
        "risk_level": 2,
    }
    data.update(changes)
    return data


def test_valid_data_has_no_errors(schema: dict[str, Any]) -> None:
    assert forms.validate_form(schema, valid()) == {}
    forms.validate_or_raise(schema, valid())


def test_missing_required_fields_are_keyed_by_their_own_path(schema: dict[str, Any]) -> None:
    errors = forms.validate_form(schema, {})
    assert errors == {
        "exploitation_forms": "This field is required.",
        "exploited_in": "This field is required.",
        "risk_level": "This field is required.",
    }


def test_nested_required_error_keyed_by_row_path(schema: dict[str, Any]) -> None:
    data = valid(exploitation_forms=[{"form": "begging"}, {"primary": True}])
    assert forms.validate_form(schema, data) == {"exploitation_forms.1.form": "This field is required."}


def test_deeply_nested_required() -> None:
    schema = {
        "type": "object",
        "properties": {
            "client": {
                "type": "object",
                "required": ["given_names"],
                "properties": {"given_names": {"type": "string", "minLength": 1}},
            }
        },
    }
    assert forms.validate_form(schema, {"client": {}}) == {"client.given_names": "This field is required."}
    assert forms.validate_form(schema, {"client": {"given_names": ""}}) == {
        "client.given_names": "This field is required."
    }


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"risk_level": "abc"}, "risk_level", "Must be a whole number."),
        ({"risk_level": 2.5}, "risk_level", "Must be a whole number."),
        ({"risk_level": 9}, "risk_level", "Must be at most 5."),
        ({"risk_level": 0}, "risk_level", "Must be at least 1."),
        ({"exploited_in": "mars"}, "exploited_in", "Choose one of the listed options."),
        ({"service_needs": ["health_care", "astrology"]}, "service_needs.1", "Choose one of the listed options."),
        ({"service_needs": ["legal_aid", "legal_aid"]}, "service_needs", "Each choice may appear only once."),
        ({"notes": "x" * 2001}, "notes", "Must be at most 2000 characters."),
        ({"assessed_on": "2024-02-30"}, "assessed_on", "Must be a date (YYYY-MM-DD)."),
        ({"assessed_on": "31.5.2024"}, "assessed_on", "Must be a date (YYYY-MM-DD)."),
        ({"interpreter_needed": "maybe"}, "interpreter_needed", "Must be yes or no."),
        ({"exploitation_forms": []}, "exploitation_forms", "This field is required."),
        (
            {"exploitation_forms": [{"form": "slavery"}]},
            "exploitation_forms.0.form",
            "Choose one of the listed options.",
        ),
        ({"lane_owners": {"x": 1}}, "lane_owners", "This field is not part of the form."),
    ],
)
def test_messages_in_plain_words(schema: dict[str, Any], changes: dict[str, Any], path: str, message: str) -> None:
    assert forms.validate_form(schema, valid(**changes)) == {path: message}


def test_valid_date_passes(schema: dict[str, Any]) -> None:
    assert forms.validate_form(schema, valid(assessed_on="2024-02-29")) == {}


def test_other_keywords_in_plain_words() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "word": {"type": "string", "minLength": 3},
            "n": {"type": "number", "multipleOf": 0.5, "exclusiveMinimum": 0},
            "email": {"type": "string", "format": "email"},
        },
    }
    errors = forms.validate_form(schema, {"code": "ab", "word": "ab", "n": 0, "email": "nobody"})
    assert errors == {
        "code": "Does not match the expected form.",
        "word": "Must be at least 3 characters.",
        "n": "Must be more than 0.",
        "email": "Must be an e-mail address.",
    }
    assert forms.validate_form(schema, {"n": 0.3}) == {"n": "Must be a multiple of 0.5."}


def test_unmapped_keywords_keep_the_jsonschema_message() -> None:
    assert forms.validate_form({"type": "object", "minProperties": 1}, {}) == {"": "{} should be non-empty"}


def test_form_level_errors_use_the_empty_path() -> None:
    assert forms.validate_form({"type": "object"}, []) == {"": "Must be a group of fields."}


def test_validate_or_raise_carries_the_errors(schema: dict[str, Any]) -> None:
    with pytest.raises(forms.FormDataInvalid) as caught:
        forms.validate_or_raise(schema, valid(risk_level="x"))
    assert caught.value.errors == {"risk_level": "Must be a whole number."}
    assert "risk_level: Must be a whole number." in str(caught.value)
    assert isinstance(caught.value, forms.FormError)


def test_oversized_strings_are_field_errors(schema: dict[str, Any]) -> None:
    big = "ä" * (MAX_STRING + 1)
    errors = forms.validate_form(schema, valid(notes=big, exploitation_forms=[{"form": big}]))
    assert errors == {
        "notes": f"Must be at most {MAX_STRING} characters.",
        "exploitation_forms.0.form": f"Must be at most {MAX_STRING} characters.",
    }


def test_oversized_keys_are_refused() -> None:
    errors = forms.validate_form({"type": "object"}, {"k" * (MAX_STRING + 1): 1})
    assert errors == {"": "A field name is too long."}


def test_deep_nesting_is_a_field_error_not_a_crash() -> None:
    data: dict[str, Any] = {}
    node = data
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    errors = forms.validate_form({"type": "object"}, data)
    assert len(errors) == 1
    ((path, message),) = errors.items()
    assert path.count(".") == forms.MAX_DEPTH - 1
    assert "Nested too deeply" in message


def test_twenty_levels_are_allowed() -> None:
    data: dict[str, Any] = {}
    node = data
    for _ in range(forms.MAX_DEPTH - 1):
        node["a"] = {}
        node = node["a"]
    assert forms.validate_form({"type": "object"}, data) == {}


def test_too_many_values() -> None:
    errors = forms.validate_form({"type": "object"}, {"list": list(range(forms.MAX_VALUES + 1))})
    assert errors == {"": f"The form holds too many values (at most {forms.MAX_VALUES})."}


def test_nullable_accepts_none() -> None:
    schema = {"type": "object", "properties": {"note": {"type": ["string", "null"], "maxLength": 3}}}
    assert forms.validate_form(schema, {"note": None}) == {}
    assert forms.validate_form(schema, {"note": 4}) == {"note": "Must be text."}


def test_unchecked_bad_schema_raises_schema_invalid_without_fetching() -> None:
    remote = {"type": "object", "properties": {"a": {"$ref": "https://example.org/x.json"}}}
    with pytest.raises(forms.SchemaInvalid, match="cannot be used"):
        forms.validate_form(remote, {"a": 1})
    with pytest.raises(forms.SchemaInvalid):
        forms.validate_form({"type": "object", "properties": {"a": {"type": "whole"}}}, {"a": 1})


def test_conditional_requirements_land_on_the_missing_field() -> None:
    schema = {
        "type": "object",
        "properties": {"outcome": {"enum": ["admitted", "rejected"]}, "rejection_ground": {"type": "string"}},
        "if": {"properties": {"outcome": {"const": "rejected"}}, "required": ["outcome"]},
        "then": {"required": ["rejection_ground"]},
        "dependentRequired": {"outcome": ["reasoning"]},
    }
    assert forms.validate_form(schema, {"outcome": "rejected"}) == {
        "rejection_ground": "This field is required.",
        "reasoning": "This field is required.",
    }
    assert forms.validate_form(schema, {}) == {}
