"""validate_form(lang=...): the same errors in Finnish; English stays the default and the fallback."""

from __future__ import annotations

from typing import Any

import pytest

import forms
from forms.validate import MESSAGES

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 5},
        "code": {"type": "string", "minLength": 3, "pattern": "^[A-Z]+$"},
        "age": {"type": "integer", "minimum": 18, "maximum": 120},
        "score": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10, "multipleOf": 0.5},
        "born": {"type": "string", "format": "date"},
        "kind": {"enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3, "uniqueItems": True},
    },
}


@pytest.mark.parametrize(
    ("data", "finnish", "english"),
    [
        ({}, {"name": "Tämä kenttä on pakollinen."}, {"name": "This field is required."}),
        ({"name": "abcdef"}, {"name": "Enintään 5 merkkiä."}, {"name": "Must be at most 5 characters."}),
        ({"name": "a", "code": "AB"}, {"code": "Vähintään 3 merkkiä."}, {"code": "Must be at least 3 characters."}),
        (
            {"name": "a", "code": "abc"},
            {"code": "Ei vastaa odotettua muotoa."},
            {"code": "Does not match the expected form."},
        ),
        ({"name": "a", "age": 17}, {"age": "Vähintään 18."}, {"age": "Must be at least 18."}),
        ({"name": "a", "age": 121}, {"age": "Enintään 120."}, {"age": "Must be at most 120."}),
        ({"name": "a", "age": "x"}, {"age": "Anna kokonaisluku."}, {"age": "Must be a whole number."}),
        ({"name": "a", "score": 0}, {"score": "Täytyy olla suurempi kuin 0."}, {"score": "Must be more than 0."}),
        ({"name": "a", "score": 10}, {"score": "Täytyy olla pienempi kuin 10."}, {"score": "Must be less than 10."}),
        (
            {"name": "a", "score": 0.7},
            {"score": "Täytyy olla luvun 0.5 monikerta."},
            {"score": "Must be a multiple of 0.5."},
        ),
        (
            {"name": "a", "born": "2026-13-01"},
            {"born": "Anna päivämäärä (VVVV-KK-PP)."},
            {"born": "Must be a date (YYYY-MM-DD)."},
        ),
        (
            {"name": "a", "kind": "c"},
            {"kind": "Valitse jokin luetelluista vaihtoehdoista."},
            {"kind": "Choose one of the listed options."},
        ),
        (
            {"name": "a", "tags": ["x"]},
            {"tags": "Valitse tai lisää vähintään 2."},
            {"tags": "Choose or add at least 2."},
        ),
        (
            {"name": "a", "tags": ["x", "y", "z", "w"]},
            {"tags": "Valitse tai lisää enintään 3."},
            {"tags": "Choose or add at most 3."},
        ),
        (
            {"name": "a", "tags": ["x", "x"]},
            {"tags": "Kukin valinta voi esiintyä vain kerran."},
            {"tags": "Each choice may appear only once."},
        ),
        (
            {"name": "a", "extra": 1},
            {"extra": "Tämä kenttä ei kuulu lomakkeeseen."},
            {"extra": "This field is not part of the form."},
        ),
    ],
)
def test_each_message_in_finnish_and_english(
    data: dict[str, Any], finnish: dict[str, str], english: dict[str, str]
) -> None:
    assert forms.validate_form(SCHEMA, data, lang="fi") == finnish
    assert forms.validate_form(SCHEMA, data, lang="fi-FI") == finnish
    assert forms.validate_form(SCHEMA, data) == english
    assert forms.validate_form(SCHEMA, data, lang="en") == english


def test_an_unknown_language_gets_english() -> None:
    assert forms.validate_form(SCHEMA, {}, lang="sv") == {"name": "This field is required."}
    assert forms.validate_form(SCHEMA, {}, lang="") == {"name": "This field is required."}


def test_the_guard_speaks_finnish_too() -> None:
    too_long = "x" * (forms.MAX_STRING + 1)
    assert forms.validate_form(SCHEMA, {"name": too_long}, lang="fi") == {
        "name": f"Enintään {forms.MAX_STRING} merkkiä."
    }
    deep: Any = "x"
    for _ in range(forms.MAX_DEPTH + 2):
        deep = {"a": deep}
    assert "tasoa" in next(iter(forms.validate_form(SCHEMA, deep, lang="fi").values()))


def test_both_languages_word_the_same_messages() -> None:
    assert set(MESSAGES["fi"]) == set(MESSAGES["en"])
    for key, text in MESSAGES["en"].items():
        assert ("%(value)s" in text) == ("%(value)s" in MESSAGES["fi"][key]), key


def test_validate_or_raise_takes_the_language() -> None:
    with pytest.raises(forms.FormDataInvalid) as caught:
        forms.validate_or_raise(SCHEMA, {}, lang="fi")
    assert caught.value.errors == {"name": "Tämä kenttä on pakollinen."}
