"""The Jinja macros, rendered with a real autoescaping Environment over forms.template_dir()."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2
import pytest

import forms

Render = Callable[[list[forms.FieldView]], str]
XSS = "<script>alert(1)</script>"
DATA: dict[str, Any] = {
    "exploitation_forms": [{"form": "forced_labour", "primary": True}, {"form": "other", "primary": False}],
    "exploited_in": "both",
    "service_needs": ["health_care", "legal_aid"],
    "notes": "Line one\nline two ä",
    "assessed_on": "2024-03-01",
    "interpreter_needed": True,
    "risk_level": 4,
}


def test_template_dir_holds_one_macro_per_widget() -> None:
    folder = forms.template_dir() / "forms"
    widgets = ["text", "textarea", "number", "integer", "date", "checkbox", "select", "radio", "checkboxes",
               "object", "array", "file", "hidden", "password"]  # fmt: skip
    for widget in widgets:
        assert (folder / f"_{widget}.html.j2").is_file(), widget
    assert (folder / "_field.html.j2").is_file()
    assert (folder / "_form_fields.html.j2").is_file()


def test_every_visible_control_has_a_label(
    schema: dict[str, Any], ui: dict[str, Any], render: Render, parse: Any
) -> None:
    tags = parse(render(forms.build_fields(schema, ui, DATA, {})))
    label_for = {a["for"] for a in tags.find("label")}
    controls = [a for t, a in tags.tags if t in ("input", "select", "textarea") and a.get("type") != "hidden"]
    assert len(controls) > 20
    for control in controls:
        assert control["id"] in label_for, control
    ids = [a["id"] for _, a in tags.tags if "id" in a]
    assert len(ids) == len(set(ids)), "ids must be unique"


def test_labels_in_the_chosen_language(schema: dict[str, Any], ui: dict[str, Any], render: Render) -> None:
    html = render(forms.build_fields(schema, ui, {}, {}, lang="fi"))
    for text in ("Missä hyväksikäyttö tapahtui", "Suomessa", "Riskitaso", "Tulkki tarvitaan", "Lisää rivi"):
        assert text in html


def test_user_values_are_escaped(render: Render, parse: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "notes": {"type": "string", "maxLength": 5000},
            "doc": {"type": "string", "format": "data-url"},
            "secret": {"type": "string"},
            "n": {"type": "integer"},
        },
    }
    ui = {"secret": {"ui:widget": "hidden"}}
    data = {"name": XSS, "notes": XSS, "doc": XSS, "secret": '"><img src=x onerror=alert(1)>', "n": XSS}
    html = render(forms.build_fields(schema, ui, data, {"name": XSS}))
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tags = parse(html)
    assert tags.find("input", name="name")[0]["value"] == XSS  # the browser shows exactly what was typed
    assert tags.find("input", name="secret")[0]["value"] == '"><img src=x onerror=alert(1)>'


def test_schema_text_is_escaped_too(render: Render) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "title": "<b>A</b>", "description": XSS}}}
    html = render(forms.build_fields(schema, None, {}, {}))
    assert "<b>" not in html
    assert "<script>" not in html


def test_error_next_to_the_field_with_aria(schema: dict[str, Any], render: Render, parse: Any) -> None:
    data = {**DATA, "risk_level": "abc"}
    errors = forms.validate_form(schema, data)
    assert errors == {"risk_level": "Must be a whole number."}
    html = render(forms.build_fields(schema, None, data, errors))
    tags = parse(html)
    (control,) = tags.find("input", name="risk_level")
    assert control["aria-invalid"] == "true"
    assert control["value"] == "abc"  # input kept on error
    error_id = "f-risk_level-error"
    assert error_id in (control["aria-describedby"] or "").split()
    (message,) = tags.find("p", id=error_id)
    assert message["role"] == "alert"
    # Next to the field: inside the same wrapper, right after the control.
    wrapper = re.search(r'<div class="field field--integer field--invalid">.*?</div>', html, re.S)
    assert wrapper is not None
    assert 'role="alert">Must be a whole number.</p>' in wrapper.group(0)
    assert html.count('aria-invalid="true"') == 1


def test_errors_on_groups_and_rows(schema: dict[str, Any], render: Render, parse: Any) -> None:
    data = {"exploitation_forms": [{"primary": True}], "service_needs": ["nope"]}
    errors = forms.validate_form(schema, data)
    html = render(forms.build_fields(schema, None, data, errors))
    tags = parse(html)
    assert tags.find("select", name="exploitation_forms.0.form")[0]["aria-invalid"] == "true"
    assert all(a["aria-invalid"] == "true" for a in tags.find("input", name="exploited_in"))
    assert all(a["aria-invalid"] == "true" for a in tags.find("input", name="service_needs"))
    assert len(tags.find("p", role="alert")) == len(errors)


def test_help_is_linked_with_aria_describedby(
    schema: dict[str, Any], ui: dict[str, Any], render: Render, parse: Any
) -> None:
    tags = parse(render(forms.build_fields(schema, ui, {}, {})))
    (control,) = tags.find("input", name="risk_level")
    assert control["aria-describedby"] == "f-risk_level-help"
    assert tags.find("p", id="f-risk_level-help")


def test_checkboxes_checked_for_selected_values(
    schema: dict[str, Any], ui: dict[str, Any], render: Render, parse: Any
) -> None:
    tags = parse(render(forms.build_fields(schema, ui, DATA, {})))
    boxes = {a["value"]: "checked" in a for a in tags.find("input", name="service_needs")}
    assert len(boxes) == 12
    assert {value for value, checked in boxes.items() if checked} == {"health_care", "legal_aid"}
    assert "checked" in tags.find("input", name="interpreter_needed")[0]
    assert "checked" in tags.find("input", name="exploitation_forms.0.primary")[0]
    assert "checked" not in tags.find("input", name="exploitation_forms.1.primary")[0]
    radios = {a["value"]: "checked" in a for a in tags.find("input", name="exploited_in", type="radio")}
    assert [v for v, checked in radios.items() if checked] == ["both"]
    selected = [a["value"] for a in tags.find("option") if "selected" in a]
    assert selected == ["forced_labour", "other"]
    plain = parse(render(forms.build_fields(schema, None, DATA, {})))  # without the UI schema: a select
    assert [a["value"] for a in plain.find("option") if "selected" in a] == ["forced_labour", "other", "both"]


def test_required_is_marked(schema: dict[str, Any], render: Render, parse: Any) -> None:
    html = render(forms.build_fields(schema, None, {}, {}))
    tags = parse(html)
    assert "required" in tags.find("input", name="risk_level")[0]
    assert "required" not in tags.find("input", name="assessed_on")[0]
    assert "required" not in tags.find("input", name="interpreter_needed")[0]  # a required boolean may be false
    assert '<label for="f-risk_level">Risk level<span class="field__required" aria-hidden="true"> *</span>' in html


def test_readonly_and_disabled_still_post_their_value(render: Render, parse: Any, submit: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": ["a", "b"]},
            "ok": {"type": "boolean"},
            "tags": {"type": "array", "items": {"enum": ["x", "y"]}},
            "note": {"type": "string"},
        },
    }
    ui = {
        "name": {"ui:readonly": True},
        "kind": {"ui:readonly": True},
        "ok": {"ui:readonly": True},
        "tags": {"ui:readonly": True},
        "note": {"ui:disabled": True},
    }
    data = {"name": "Ana", "kind": "b", "ok": True, "tags": ["y"], "note": "n"}
    html = render(forms.build_fields(schema, ui, data, {}))
    tags = parse(html)
    assert "readonly" in tags.find("input", id="f-name")[0]
    assert "disabled" in tags.find("select", id="f-kind")[0]
    assert "disabled" in tags.find("input", id="f-ok")[0]
    assert "disabled" in tags.find("input", id="f-note")[0]
    assert forms.coerce_form(schema, submit(html)) == data


def test_no_inline_javascript(schema: dict[str, Any], ui: dict[str, Any], render: Render) -> None:
    html = render(forms.build_fields(schema, ui, DATA, {"notes": "x"}))
    assert "<script" not in html
    assert "javascript:" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html)
    for path in (forms.template_dir() / "forms").glob("*.j2"):
        source = path.read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", "")
        assert "<script" not in source
        assert not re.search(r"\son[a-z]+\s*=", source), path.name


def test_row_buttons_work_without_javascript(schema: dict[str, Any], render: Render, parse: Any) -> None:
    tags = parse(render(forms.build_fields(schema, None, DATA, {})))
    add = tags.find("button", name="__add__.exploitation_forms")
    assert add and add[0]["type"] == "submit" and "formnovalidate" in add[0]
    removes = [a["name"] for _, a in tags.tags if (a.get("name") or "").startswith("__remove__.")]
    assert removes == ["__remove__.exploitation_forms.0", "__remove__.exploitation_forms.1"]
    assert tags.find("template", id="f-exploitation_forms-template")


def test_add_then_remove_round_trip(schema: dict[str, Any], render: Render, submit: Any) -> None:
    html = render(forms.build_fields(schema, None, DATA, {}))
    posted = submit(html)
    assert forms.coerce_form(schema, posted) == DATA  # what the browser posts is what was shown

    pairs, requested = forms.apply_row_actions(schema, [*posted, ("__add__.exploitation_forms", "1")])
    assert requested
    grown = forms.coerce_form(schema, pairs)
    html = render(forms.build_fields(schema, None, grown, {}))
    assert 'name="exploitation_forms.2.form"' in html

    pairs, _ = forms.apply_row_actions(schema, [*submit(html), ("__remove__.exploitation_forms.0", "1")])
    shrunk = forms.coerce_form(schema, pairs)
    assert [row.get("form") for row in shrunk["exploitation_forms"]] == ["other", None]


def test_every_widget_renders(render: Render, parse: Any, submit: Any) -> None:
    schema = {
        "type": "object",
        "required": ["t"],
        "properties": {
            "t": {"type": "string", "minLength": 1, "maxLength": 20},
            "ta": {"type": "string", "maxLength": 1000},
            "n": {"type": "number", "minimum": 0},
            "i": {"type": "integer"},
            "d": {"type": "string", "format": "date"},
            "c": {"type": "boolean"},
            "s": {"type": "integer", "oneOf": [{"const": 1, "title": "One"}, {"const": 2, "title": "Two"}]},
            "r": {"type": "boolean"},
            "cs": {"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}},
            "o": {"type": "object", "properties": {"inner": {"type": "string"}}},
            "a": {"type": "array", "items": {"type": "string"}},
            "f": {"type": "string", "format": "data-url"},
            "h": {"type": "string"},
            "p": {"type": "string"},
        },
    }
    ui = {"r": {"ui:widget": "radio"}, "h": {"ui:widget": "hidden"}, "p": {"ui:widget": "password"}}
    data = {
        "t": "x", "ta": "long\ntext", "n": 2.5, "i": 3, "d": "2024-01-01", "c": True, "s": 2, "r": False,
        "cs": [1, 3], "o": {"inner": "in"}, "a": ["p", "q"], "f": "doc-123", "h": "hid",
    }  # fmt: skip
    fields = forms.build_fields(schema, ui, data, {})
    assert [f.widget for f in fields] == [
        "text", "textarea", "number", "integer", "date", "checkbox", "select", "radio", "checkboxes",
        "object", "array", "file", "hidden", "password",
    ]  # fmt: skip
    html = render(fields)
    tags = parse(html)
    assert tags.find("input", type="number", name="n")[0]["step"] == "any"
    assert tags.find("input", type="file", name="__file__.f")
    assert tags.find("input", type="password", name="p")[0].get("value") is None
    assert tags.find("textarea", name="ta")
    posted = submit(html)
    assert forms.coerce_form(schema, posted) == data


def test_single_macro_can_be_imported(env: jinja2.Environment) -> None:
    view = forms.FieldView(name="q", widget="text", label="Question", value=XSS, placeholder="<i>")
    html = env.from_string('{% from "forms/_text.html.j2" import text %}{{ text(f) }}').render(f=view)
    assert '<label for="f-q">Question</label>' in html
    assert "&lt;script&gt;" in html
    assert 'placeholder="&lt;i&gt;"' in html


@pytest.mark.parametrize("lang", ["en", "fi", "sv"])
def test_renders_in_each_language(schema: dict[str, Any], ui: dict[str, Any], render: Render, lang: str) -> None:
    assert render(forms.build_fields(schema, ui, DATA, {}, lang=lang)).count("<fieldset") >= 5


def test_required_select_keeps_the_empty_option_until_a_listed_value_is_set(render: Render, parse: Any) -> None:
    schema = {"type": "object", "required": ["k"], "properties": {"k": {"enum": ["a", "b"]}}}
    for value, empty_option in (("a", False), ("zzz", True), (None, True)):
        data = {} if value is None else {"k": value}
        options = [a["value"] for a in parse(render(forms.build_fields(schema, None, data, {}))).find("option")]
        assert (options[0] == "") is empty_option, value
