"""build_fields: schema + UI schema + data + errors -> FieldView list for the templates."""

from __future__ import annotations

from typing import Any

import pytest

import forms
from forms import FieldView


def by_name(fields: list[FieldView]) -> dict[str, FieldView]:
    out: dict[str, FieldView] = {}
    stack = list(fields)
    while stack:
        view = stack.pop()
        out[view.name] = view
        stack.extend(view.children)
        stack.extend(f for row in view.items for f in row)
    return out


def one(prop: dict[str, Any], ui: dict[str, Any] | None = None, value: Any = None, **kw: Any) -> FieldView:
    schema = {"type": "object", "properties": {"f": prop}}
    data = {} if value is None else {"f": value}
    return forms.build_fields(schema, {"f": ui} if ui else None, data, {}, **kw)[0]


@pytest.mark.parametrize(
    ("prop", "ui", "widget"),
    [
        ({"type": "string"}, None, "text"),
        ({"type": "string", "maxLength": 200}, None, "text"),
        ({"type": "string", "maxLength": 201}, None, "textarea"),
        ({"type": "string"}, {"ui:widget": "textarea"}, "textarea"),
        ({"type": "string", "format": "date"}, None, "date"),
        ({"type": "string"}, {"ui:widget": "date"}, "date"),
        ({"type": "string"}, {"ui:widget": "password"}, "password"),
        ({"type": "string"}, {"ui:widget": "hidden"}, "hidden"),
        ({"type": "integer"}, {"ui:widget": "hidden"}, "hidden"),
        ({"type": "string"}, {"ui:widget": "file"}, "file"),
        ({"type": "string"}, {"ui:widget": "FileWidget"}, "file"),
        ({"type": "string", "format": "data-url"}, None, "file"),
        ({"type": "string", "contentMediaType": "application/pdf"}, None, "file"),
        ({"type": "integer"}, None, "integer"),
        ({"type": ["integer", "null"]}, None, "integer"),
        ({"type": "number"}, None, "number"),
        ({"type": "boolean"}, None, "checkbox"),
        ({"type": "boolean"}, {"ui:widget": "radio"}, "radio"),
        ({"type": "boolean"}, {"ui:widget": "select"}, "select"),
        ({"type": "string", "enum": ["a", "b"]}, None, "select"),
        ({"type": "string", "enum": ["a", "b"]}, {"ui:widget": "radio"}, "radio"),
        ({"oneOf": [{"const": 1, "title": "One"}]}, None, "select"),
        ({"anyOf": [{"const": "x", "title": "X"}]}, {"ui:widget": "radio"}, "radio"),
        ({"type": "array", "items": {"enum": ["a"]}}, None, "checkboxes"),
        ({"type": "array", "items": {"type": "object", "properties": {}}}, None, "array"),
        ({"type": "array", "items": {"type": "string"}}, None, "array"),
        ({"type": "object", "properties": {}}, None, "object"),
        ({"type": "string"}, {"ui:widget": "some-spiff-custom-widget"}, "text"),
    ],
)
def test_widget_mapping(prop: dict[str, Any], ui: dict[str, Any] | None, widget: str) -> None:
    assert one(prop, ui).widget == widget


def test_example_form_widgets_and_order(schema: dict[str, Any], ui: dict[str, Any]) -> None:
    fields = forms.build_fields(schema, ui, {}, {})
    assert [(f.name, f.widget) for f in fields] == [
        ("exploited_in", "radio"),
        ("exploitation_forms", "array"),
        ("service_needs", "checkboxes"),
        ("assessed_on", "date"),
        ("interpreter_needed", "checkbox"),
        ("risk_level", "integer"),
        ("notes", "textarea"),
    ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (["c", "*", "a"], ["c", "b", "a"]),
        (["b"], ["b", "a", "c"]),  # unlisted names go last
        (["*", "a", "ghost"], ["b", "c", "a"]),  # unknown names are skipped
        ([], ["a", "b", "c"]),
    ],
)
def test_ui_order(order: list[str], expected: list[str]) -> None:
    schema = {"type": "object", "properties": {n: {"type": "string"} for n in "abc"}}
    assert [f.name for f in forms.build_fields(schema, {"ui:order": order}, {}, {})] == expected


def test_labels_follow_lang_with_fallback(schema: dict[str, Any], ui: dict[str, Any]) -> None:
    fi = by_name(forms.build_fields(schema, ui, {}, {}, lang="fi"))
    en = by_name(forms.build_fields(schema, ui, {}, {}, lang="en"))
    sv = by_name(forms.build_fields(schema, ui, {}, {}, lang="sv"))
    assert fi["exploited_in"].label == "Missä hyväksikäyttö tapahtui"
    assert en["exploited_in"].label == "Where the exploitation happened"
    assert sv["exploited_in"].label == "Where the exploitation happened"  # no Swedish: falls back to title
    assert fi["exploited_in"].options[0] == ("finland", "Suomessa")
    assert en["exploited_in"].options[0] == ("finland", "In Finland")
    assert fi["notes"].help == "Mitä asiakas kertoi, omin sanoin."
    assert sv["notes"].help == "What the client told, in their words."
    assert fi["service_needs"].options[2] == ("health_care", "Terveydenhuolto")
    assert en["service_needs"].options[2] == ("health_care", "Health care")
    assert forms.build_fields(schema, ui, {}, {}, lang="fi-FI")[0].label == "Missä hyväksikäyttö tapahtui"


def test_label_sources() -> None:
    assert one({"type": "string"}).label == "F"
    assert one({"type": "string", "title": "Name"}, {"ui:title": "Full name"}).label == "Full name"
    assert one({"type": "string"}, {"ui:title": {"fi": "Nimi", "en": "Name"}}, lang="fi").label == "Nimi"
    schema = {"type": "object", "properties": {"given_names": {"type": "string"}}}
    assert forms.build_fields(schema, None, {}, {})[0].label == "Given names"


def test_enum_labels() -> None:
    assert one({"enum": ["a", "b"]}).options == [("a", "a"), ("b", "b")]
    assert one({"enum": ["a", "b"], "enumNames": ["Aa", "Bb"]}).options == [("a", "Aa"), ("b", "Bb")]
    assert one({"enum": ["a"]}, {"ui:enumNames": ["UI a"]}).options == [("a", "UI a")]
    assert one({"enum": [1, 2, None]}).options == [("1", "1"), ("2", "2"), ("", "")]
    assert one({"type": "boolean"}, {"ui:widget": "radio"}, lang="fi").options == [("true", "Kyllä"), ("false", "Ei")]


def test_ui_hints() -> None:
    view = one(
        {"type": "string", "title": "T", "readOnly": False},
        {"ui:help": "Help", "ui:placeholder": "e.g. X", "ui:readonly": True, "ui:disabled": True},
    )
    assert (view.help, view.placeholder, view.readonly, view.disabled) == ("Help", "e.g. X", True, True)
    assert one({"type": "string", "readOnly": True}).readonly
    assert one({"type": "string"}, {"ui:widget": "textarea", "ui:options": {"rows": 9}}).rows == 9
    assert one({"enum": ["a"]}, {"ui:widget": "radio", "ui:options": {"inline": True}}).inline


def test_bounds_and_steps() -> None:
    view = one({"type": "integer", "minimum": 1, "maximum": 5})
    assert (view.min, view.max, view.step) == (1, 5, "1")
    assert one({"type": "number"}).step == "any"
    assert one({"type": "number", "multipleOf": 0.25}).step == "0.25"
    text = one({"type": "string", "minLength": 2, "maxLength": 50})
    assert (text.min_length, text.max_length) == (2, 50)
    assert one({"type": "string", "format": "email"}).input_type == "email"


def test_values_become_html_strings(schema: dict[str, Any], ui: dict[str, Any]) -> None:
    data = {
        "exploited_in": "both",
        "service_needs": ["legal_aid", "interpretation"],
        "interpreter_needed": True,
        "risk_level": 3,
        "assessed_on": "2024-01-02",
        "exploitation_forms": [{"form": "begging", "primary": True}, {"form": "other"}],
    }
    views = by_name(forms.build_fields(schema, ui, data, {}))
    assert views["exploited_in"].value == "both"
    assert views["service_needs"].value == ["legal_aid", "interpretation"]
    assert views["interpreter_needed"].value is True
    assert views["risk_level"].value == "3"
    assert views["assessed_on"].value == "2024-01-02"
    assert views["notes"].value == ""
    assert views["exploitation_forms.0.form"].value == "begging"
    assert views["exploitation_forms.0.primary"].value is True
    assert views["exploitation_forms.1.primary"].value is False
    assert views["exploitation_forms.0.form"].required
    assert not views["exploitation_forms.0.primary"].required
    assert views["exploitation_forms.0.primary"].help == "Only one primary form."


def test_input_kept_on_error() -> None:
    view = forms.build_fields(
        {"type": "object", "properties": {"n": {"type": "integer"}}},
        None,
        {"n": "abc"},
        {"n": "Must be a whole number."},
    )[0]
    assert (view.value, view.error) == ("abc", "Must be a whole number.")


def test_enum_of_integers_value_matches_option() -> None:
    view = one({"type": "integer", "enum": [1, 2, 3]}, value=2)
    assert view.value == "2"
    assert ("2", "2") in view.options


def test_password_is_never_echoed() -> None:
    assert one({"type": "string"}, {"ui:widget": "password"}, value="hunter2").value == ""


def test_array_rows_template_and_buttons(schema: dict[str, Any]) -> None:
    rows = [{"form": "begging"}, {"form": "other"}]
    view = forms.build_fields(schema, None, {"exploitation_forms": rows}, {}, lang="fi")[0]
    assert view.widget == "array"
    assert [[f.name for f in row] for row in view.items] == [
        ["exploitation_forms.0.form", "exploitation_forms.0.primary"],
        ["exploitation_forms.1.form", "exploitation_forms.1.primary"],
    ]
    assert [f.name for f in view.template] == [
        "exploitation_forms.__index__.form",
        "exploitation_forms.__index__.primary",
    ]
    assert all(f.value in ("", False) for f in view.template)
    assert (view.can_add, view.can_remove) == (True, True)
    assert (view.add_label, view.remove_label) == ("Lisää rivi", "Poista rivi")


def test_array_limits_and_options() -> None:
    prop = {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "object", "properties": {}}}
    assert (one(prop, value=[{}]).can_add, one(prop, value=[{}]).can_remove) == (True, False)
    assert (one(prop, value=[{}, {}]).can_add, one(prop, value=[{}, {}]).can_remove) == (False, True)
    locked = one(prop, {"ui:options": {"addable": False, "removable": False}}, value=[{}, {}])
    assert (locked.can_add, locked.can_remove) == (False, False)
    assert not one(prop, {"ui:readonly": True}, value=[{}]).can_add


def test_array_of_plain_values() -> None:
    view = one({"type": "array", "title": "Phones", "items": {"type": "string"}}, value=["1", "2"])
    assert [[(f.name, f.label, f.value) for f in row] for row in view.items] == [
        [("f.0", "Phones 1", "1")],
        [("f.1", "Phones 2", "2")],
    ]


def test_nested_object_with_ui_and_errors() -> None:
    schema = {
        "type": "object",
        "$defs": {
            "client": {
                "type": "object",
                "title": "Client",
                "required": ["family_name"],
                "properties": {"given_names": {"type": "string"}, "family_name": {"type": "string"}},
            }
        },
        "properties": {"client": {"$ref": "#/$defs/client"}},
    }
    ui = {"client": {"ui:order": ["family_name", "*"], "family_name": {"ui:help": "As in the passport"}}}
    errors = {"client.family_name": "This field is required."}
    view = forms.build_fields(schema, ui, {"client": {"given_names": "Ana"}}, errors)[0]
    assert (view.widget, view.label) == ("object", "Client")
    assert [c.name for c in view.children] == ["client.family_name", "client.given_names"]
    family, given = view.children
    assert (family.required, family.error, family.help) == (True, "This field is required.", "As in the passport")
    assert given.value == "Ana"


def test_item_errors_belong_to_the_checkbox_group(schema: dict[str, Any]) -> None:
    errors = {"service_needs.1": "Choose one of the listed options."}
    views = by_name(forms.build_fields(schema, None, {}, errors))
    assert views["service_needs"].error == "Choose one of the listed options."
    assert forms.unplaced_errors(list(views.values()), errors) == {}


def test_unplaced_errors(schema: dict[str, Any]) -> None:
    errors = {"": "Too many values.", "lane_owners": "This field is not part of the form.", "risk_level": "x"}
    fields = forms.build_fields(schema, None, {}, errors)
    assert forms.unplaced_errors(fields, errors) == {
        "": "Too many values.",
        "lane_owners": "This field is not part of the form.",
    }


def test_defaults_fill_a_fresh_form_only() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "default": "x"}, "b": {"type": "string"}}}
    assert forms.build_fields(schema, None, {}, {})[0].value == "x"
    assert forms.build_fields(schema, None, {"b": "typed"}, {})[0].value == ""


def test_ids_are_unique_and_encode_odd_names() -> None:
    assert one({"type": "string"}).id == "f-f"
    view = FieldView(name="a b-c.0", widget="text", label="x", help="h", error="e")
    assert view.id == "f-a-20-b-2d-c.0"
    assert view.described_by == f"{view.id}-help {view.id}-error"
    assert FieldView(name="a", widget="text", label="x").described_by == ""


def test_checkbox_paths(schema: dict[str, Any]) -> None:
    assert forms.checkbox_paths(schema, None) == {"interpreter_needed", "exploitation_forms.*.primary"}
    radio = {"interpreter_needed": {"ui:widget": "radio"}}
    assert forms.checkbox_paths(schema, radio) == {"exploitation_forms.*.primary"}


def test_readonly_and_disabled_pass_down_to_rows_and_children(schema: dict[str, Any]) -> None:
    data = {"exploitation_forms": [{"form": "begging"}]}
    view = forms.build_fields(schema, {"exploitation_forms": {"ui:readonly": True}}, data, {})[0]
    assert view.name == "exploitation_forms"
    assert all(f.readonly for f in view.items[0])
    nested = {"type": "object", "properties": {"o": {"type": "object", "properties": {"x": {"type": "string"}}}}}
    (group,) = forms.build_fields(nested, {"o": {"ui:disabled": True}}, {}, {})
    assert group.children[0].disabled
