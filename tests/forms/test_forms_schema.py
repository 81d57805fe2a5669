"""check_form_schema / check_ui_schema / form_keys / loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import forms
from forms.schema import resolve


def test_example_form_is_valid(schema: dict[str, Any], ui: dict[str, Any]) -> None:
    forms.check_form_schema(schema)
    forms.check_ui_schema(ui, schema)


@pytest.mark.parametrize("bad", [None, [], "form", 3])
def test_refuses_non_objects(bad: object) -> None:
    with pytest.raises(forms.SchemaInvalid, match="must be a JSON object"):
        forms.check_form_schema(bad)


def test_refuses_schema_whose_top_is_not_an_object_type() -> None:
    with pytest.raises(forms.SchemaInvalid, match='"type": "object"'):
        forms.check_form_schema({"type": "array", "items": {}})
    with pytest.raises(forms.SchemaInvalid, match='"type": "object"'):
        forms.check_form_schema({"properties": {"a": {"type": "string"}}})


def test_refuses_invalid_json_schema_and_names_the_place() -> None:
    bad = {"type": "object", "properties": {"age": {"type": "whole number"}}}
    with pytest.raises(forms.SchemaInvalid, match="properties/age"):
        forms.check_form_schema(bad)
    with pytest.raises(forms.SchemaInvalid, match="not a valid JSON Schema"):
        forms.check_form_schema({"type": "object", "required": "name"})


@pytest.mark.parametrize(
    "ref",
    [
        "https://example.org/schemas/person.json",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "person.json#/$defs/name",
        "urn:uuid:deadbeef",
    ],
)
def test_refuses_refs_outside_the_document(ref: str) -> None:
    schema = {"type": "object", "properties": {"who": {"$ref": ref}}}
    with pytest.raises(forms.SchemaInvalid, match="must point inside the form"):
        forms.check_form_schema(schema)


def test_refuses_remote_dynamic_ref_and_dangling_local_ref() -> None:
    with pytest.raises(forms.SchemaInvalid, match=r"\$dynamicRef"):
        forms.check_form_schema({"type": "object", "properties": {"a": {"$dynamicRef": "https://x.test/s"}}})
    with pytest.raises(forms.SchemaInvalid, match="points at nothing"):
        forms.check_form_schema({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}})


def test_anchor_refs() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "$defs": {"code": {"$anchor": "code", "type": "integer"}},
        "properties": {"a": {"$ref": "#code", "title": "A"}},
    }
    forms.check_form_schema(schema)
    assert resolve(schema, schema["properties"]["a"]) == {"$anchor": "code", "type": "integer", "title": "A"}
    assert forms.coerce_form(schema, [("a", "5")]) == {"a": 5}
    with pytest.raises(forms.SchemaInvalid, match="points at nothing"):
        forms.check_form_schema({"type": "object", "properties": {"a": {"$ref": "#nowhere"}}})


def test_accepts_local_refs_and_ref_like_data() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "$defs": {"code": {"type": "string"}},
        "properties": {"a": {"$ref": "#/$defs/code"}, "b": {"const": {"$ref": "https://not.a.schema"}}},
    }
    forms.check_form_schema(schema)
    assert resolve(schema, schema["properties"]["a"]) == {"type": "string"}


@pytest.mark.parametrize("name", ["client.name", "__add__", "__row__x"])
def test_refuses_property_names_that_clash_with_field_paths(name: str) -> None:
    with pytest.raises(forms.SchemaInvalid, match="may not contain"):
        forms.check_form_schema({"type": "object", "properties": {name: {"type": "string"}}})


def test_form_keys_are_the_top_level_properties(schema: dict[str, Any]) -> None:
    assert forms.form_keys(schema) == {
        "exploitation_forms",
        "exploited_in",
        "service_needs",
        "notes",
        "assessed_on",
        "interpreter_needed",
        "risk_level",
    }


def test_form_keys_include_conditional_branches() -> None:
    schema = {
        "type": "object",
        "properties": {"urgent": {"type": "boolean"}},
        "if": {"properties": {"urgent": {"const": True}}},
        "then": {"properties": {"reason": {"type": "string"}}},
        "allOf": [{"properties": {"extra": {"type": "string"}}}],
    }
    assert forms.form_keys(schema) == {"urgent", "reason", "extra"}


def test_check_ui_schema() -> None:
    forms.check_ui_schema({})
    with pytest.raises(forms.SchemaInvalid, match="UI schema must be a JSON object"):
        forms.check_ui_schema(["ui:order"])
    with pytest.raises(forms.SchemaInvalid, match="ui:order"):
        forms.check_ui_schema({"ui:order": "notes"})
    with pytest.raises(forms.SchemaInvalid, match="twice"):
        forms.check_ui_schema({"ui:order": ["*", "a", "*"]})
    with pytest.raises(forms.SchemaInvalid, match="ui:options"):
        forms.check_ui_schema({"notes": {"ui:options": ["rows"]}})
    with pytest.raises(forms.SchemaInvalid, match="rows"):
        forms.check_ui_schema({"notes": {"ui:options": {"rows": 0}}})
    with pytest.raises(forms.SchemaInvalid, match="ui:widget"):
        forms.check_ui_schema({"notes": {"ui:widget": 3}})
    with pytest.raises(forms.SchemaInvalid, match="'notes'"):
        forms.check_ui_schema({"notes": "textarea"})


def test_check_ui_schema_against_the_form(schema: dict[str, Any]) -> None:
    with pytest.raises(forms.SchemaInvalid, match="unknown properties: nope"):
        forms.check_ui_schema({"ui:order": ["notes", "nope", "*"]}, schema)
    # Nested: the rows of exploitation_forms (through a $ref) know "form" and "primary".
    forms.check_ui_schema({"exploitation_forms": {"items": {"ui:order": ["primary", "form"]}}}, schema)
    with pytest.raises(forms.SchemaInvalid, match=r"exploitation_forms\.items"):
        forms.check_ui_schema({"exploitation_forms": {"items": {"ui:order": ["kind"]}}}, schema)


def test_load_reports_bad_json_and_the_file_name(tmp_path: Path) -> None:
    broken = tmp_path / "broken-schema.json"
    broken.write_text('{"type": "object",', encoding="utf-8")
    with pytest.raises(forms.SchemaInvalid, match=r"broken-schema\.json: not valid JSON"):
        forms.load_form_schema(broken)
    listed = tmp_path / "list-schema.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(forms.SchemaInvalid, match=r"list-schema\.json"):
        forms.load_form_schema(listed)
    wrong = tmp_path / "wrong-schema.json"
    wrong.write_text('{"type": "string"}', encoding="utf-8")
    with pytest.raises(forms.SchemaInvalid, match=r'wrong-schema\.json: .*"type": "object"'):
        forms.load_form_schema(wrong)


def test_parse_schema_accepts_bytes_with_unicode() -> None:
    parsed = forms.parse_schema('{"type": "object", "title": "Hyväksikäyttö"}'.encode())
    assert parsed["title"] == "Hyväksikäyttö"
    with pytest.raises(forms.SchemaInvalid):
        forms.parse_schema(b"\xff\xfe")
