"""The one-field forms of the three_user_tasks benchmark process (copied from bench/three_user_tasks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import forms

FORMS = sorted((Path(__file__).parent / "data" / "three_user_tasks").glob("form*-schema.json"))


def test_all_three_are_there() -> None:
    assert [p.name for p in FORMS] == ["form1-schema.json", "form2-schema.json", "form3-schema.json"]


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_load_check_and_round_trip(path: Path, render: Callable[[list[forms.FieldView]], str], submit: Any) -> None:
    schema = forms.load_form_schema(path)
    (key,) = forms.form_keys(schema)
    assert key == f"field{path.name[4]}"

    fields = forms.build_fields(schema, None, {}, {})
    assert [(f.name, f.widget, f.required) for f in fields] == [(key, "text", True)]
    assert forms.validate_form(schema, forms.coerce_form(schema, submit(render(fields)))) == {
        key: "This field is required."
    }

    data = forms.coerce_form(schema, [(key, "Sisältö ✓")])
    assert data == {key: "Sisältö ✓"}
    assert forms.validate_form(schema, data) == {}
    html = render(forms.build_fields(schema, None, data, {}))
    assert forms.coerce_form(schema, submit(html)) == data
