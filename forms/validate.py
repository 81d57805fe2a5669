"""Validate form data against its schema; errors keyed by dotted field path, in plain words.

Paths follow forms.coerce: `client.given_names`, `exploitation_forms.0.form`; "" is the whole form.
The same function serves HTML forms and the JSON API, so it never trusts the data: size and depth are
checked first (as field errors, never exceptions) and the schema validator runs only on bounded input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import UnknownType, ValidationError
from referencing.exceptions import Unresolvable

from forms.errors import FormDataInvalid, SchemaInvalid
from forms.limits import MAX_DEPTH, MAX_STRING, MAX_VALUES
from forms.options import choices

# NUL cannot be stored by PostgreSQL; an unpaired surrogate cannot be encoded as UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

__all__ = ["MAX_DEPTH", "MAX_STRING", "MAX_VALUES", "storable_errors", "validate_form", "validate_or_raise"]

# Messages by language; English is the default and the fallback. "%(value)s" is the schema's bound.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "required": "This field is required.",
        "integer": "Must be a whole number.",
        "number": "Must be a number.",
        "boolean": "Must be yes or no.",
        "string": "Must be text.",
        "array": "Must be a list.",
        "object": "Must be a group of fields.",
        "null": "Must be empty.",
        "date": "Must be a date (YYYY-MM-DD).",
        "date-time": "Must be a date and time.",
        "time": "Must be a time (HH:MM:SS).",
        "email": "Must be an e-mail address.",
        "choice": "Choose one of the listed options.",
        "unique": "Each choice may appear only once.",
        "pattern": "Does not match the expected form.",
        "extra": "This field is not part of the form.",
        "min_length": "Must be at least %(value)s characters.",
        "max_length": "Must be at most %(value)s characters.",
        "control_chars": "Contains characters that cannot be stored (NUL or unpaired surrogates).",
        "minimum": "Must be at least %(value)s.",
        "maximum": "Must be at most %(value)s.",
        "exclusive_minimum": "Must be more than %(value)s.",
        "exclusive_maximum": "Must be less than %(value)s.",
        "multiple_of": "Must be a multiple of %(value)s.",
        "min_items": "Choose or add at least %(value)s.",
        "max_items": "Choose or add at most %(value)s.",
        "too_many": "The form holds too many values (at most %(value)s).",
        "too_deep": "Nested too deeply (at most %(value)s levels).",
        "long_name": "A field name is too long.",
    },
    "fi": {
        "required": "Tämä kenttä on pakollinen.",
        "integer": "Anna kokonaisluku.",
        "number": "Anna luku.",
        "boolean": "Valitse kyllä tai ei.",
        "string": "Täytyy olla tekstiä.",
        "array": "Täytyy olla luettelo.",
        "object": "Täytyy olla kenttäryhmä.",
        "null": "Täytyy olla tyhjä.",
        "date": "Anna päivämäärä (VVVV-KK-PP).",
        "date-time": "Anna päivämäärä ja kellonaika.",
        "time": "Anna kellonaika (TT:MM:SS).",
        "email": "Anna sähköpostiosoite.",
        "choice": "Valitse jokin luetelluista vaihtoehdoista.",
        "unique": "Kukin valinta voi esiintyä vain kerran.",
        "pattern": "Ei vastaa odotettua muotoa.",
        "extra": "Tämä kenttä ei kuulu lomakkeeseen.",
        "min_length": "Vähintään %(value)s merkkiä.",
        "max_length": "Enintään %(value)s merkkiä.",
        "control_chars": "Sisältää merkkejä, joita ei voi tallentaa (NUL tai pariton sijaismerkki).",
        "minimum": "Vähintään %(value)s.",
        "maximum": "Enintään %(value)s.",
        "exclusive_minimum": "Täytyy olla suurempi kuin %(value)s.",
        "exclusive_maximum": "Täytyy olla pienempi kuin %(value)s.",
        "multiple_of": "Täytyy olla luvun %(value)s monikerta.",
        "min_items": "Valitse tai lisää vähintään %(value)s.",
        "max_items": "Valitse tai lisää enintään %(value)s.",
        "too_many": "Lomakkeessa on liian monta arvoa (enintään %(value)s).",
        "too_deep": "Liian monta sisäkkäistä tasoa (enintään %(value)s).",
        "long_name": "Kentän nimi on liian pitkä.",
    },
}
REQUIRED = MESSAGES["en"]["required"]
_TYPES = ("integer", "number", "boolean", "string", "array", "object", "null")
_FORMATS = ("date", "date-time", "time", "email")
_BOUNDS = {
    "maxLength": "max_length",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "multipleOf": "multiple_of",
    "maxItems": "max_items",
}


class _Words:
    """The messages of one language: `words("required")`, `words("minimum", 3)`."""

    def __init__(self, lang: str) -> None:
        self.table = MESSAGES.get(lang) or MESSAGES.get(lang.split("-")[0].lower()) or MESSAGES["en"]

    def __call__(self, key: str, value: object = None) -> str:
        text = self.table[key]
        return text % {"value": value} if value is not None else text


def validate_form(schema: Mapping[str, Any], data: object, *, lang: str = "en") -> dict[str, str]:
    """{dotted path: message} for everything wrong with `data`; empty when it is valid. Messages are in
    `lang` ("en" or "fi"; any other language gets English)."""
    words = _Words(lang)
    errors = _guard(data, words)
    if errors:
        return errors
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    try:
        for error in validator.iter_errors(data):
            for path, message in _explain(error, words):
                errors.setdefault(path, message)  # the first error per field is the one people fix first
    except (Unresolvable, UnknownType) as exc:
        # Only a schema that skipped check_form_schema gets here; the form is at fault, not the data.
        raise SchemaInvalid(f"the form schema cannot be used: {exc}") from exc
    return errors


def storable_errors(data: object, *, lang: str = "en") -> dict[str, str]:
    """Only the limits every stored value must respect (size, depth, NUL, surrogates), for data that
    is kept before it is complete, such as a draft."""
    return _guard(data, _Words(lang))


def validate_or_raise(schema: Mapping[str, Any], data: object, *, lang: str = "en") -> None:
    """Raise FormDataInvalid with the per-field errors unless `data` is valid."""
    errors = validate_form(schema, data, lang=lang)
    if errors:
        raise FormDataInvalid(errors)


def _guard(data: object, words: _Words) -> dict[str, str]:
    """Size, depth and count limits, checked without recursion so hostile nesting cannot overflow."""
    errors: dict[str, str] = {}
    stack: list[tuple[str, int, object]] = [("", 0, data)]
    count = 0
    while stack:
        path, depth, value = stack.pop()
        count += 1
        if count > MAX_VALUES:
            errors[""] = words("too_many", MAX_VALUES)
            break
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                errors[path] = words("max_length", MAX_STRING)
            elif _UNSTORABLE.search(value):
                errors[path] = words("control_chars")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            errors[path] = words("too_deep", MAX_DEPTH)
            continue
        entries = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in entries:
            name = str(key)
            if len(name) > MAX_STRING:
                errors[path] = words("long_name")
                continue
            stack.append((f"{path}.{name}" if path else name, depth + 1, item))
    return errors


def _explain(error: ValidationError, words: _Words) -> Iterator[tuple[str, str]]:
    path = ".".join(str(part) for part in error.absolute_path)
    keyword = str(error.validator)
    value: Any = error.validator_value
    instance = error.instance
    if keyword in ("required", "dependentRequired") and isinstance(instance, dict):
        # Both name the missing fields; the error belongs next to each of them, not to their parent.
        wanted = (
            value if keyword == "required" else [n for key, names in value.items() if key in instance for n in names]
        )
        for name in wanted:
            if name not in instance:
                yield _join(path, name), words("required")
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = _known_names(schema)
        patterns = schema.get("patternProperties")
        patterns = list(patterns) if isinstance(patterns, Mapping) else []
        extra = [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]
        for name in extra or [""]:
            yield (_join(path, name) if name else path), words("extra")
        return
    yield path, _message(keyword, value, instance, error, words)


def _message(keyword: str, value: Any, instance: object, error: ValidationError, words: _Words) -> str:
    if keyword == "type":
        wanted = [value] if isinstance(value, str) else [t for t in value if t != "null"] or ["null"]
        return words(wanted[0]) if wanted[0] in _TYPES else error.message
    if keyword in ("enum", "const"):
        return words("choice")
    if keyword in ("oneOf", "anyOf") and isinstance(error.schema, Mapping) and choices(error.schema) is not None:
        return words("choice")
    if keyword == "minLength":
        return words("required") if value == 1 or instance == "" else words("min_length", value)
    if keyword == "minItems":
        return words("required") if value == 1 else words("min_items", value)
    if keyword in _BOUNDS:
        return words(_BOUNDS[keyword], value)
    if keyword == "uniqueItems":
        return words("unique")
    if keyword == "format":
        return words(str(value)) if value in _FORMATS else error.message
    if keyword == "pattern":
        return words("pattern")
    return error.message


def _known_names(schema: object) -> set[str]:
    if not isinstance(schema, Mapping):
        return set()
    props = schema.get("properties")
    return set(props) if isinstance(props, Mapping) else set()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
