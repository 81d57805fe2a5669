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

__all__ = ["MAX_DEPTH", "MAX_STRING", "MAX_VALUES", "validate_form", "validate_or_raise"]

REQUIRED = "This field is required."
_TYPE_WORDS = {
    "integer": "Must be a whole number.",
    "number": "Must be a number.",
    "boolean": "Must be yes or no.",
    "string": "Must be text.",
    "array": "Must be a list.",
    "object": "Must be a group of fields.",
    "null": "Must be empty.",
}
_FORMAT_WORDS = {
    "date": "Must be a date (YYYY-MM-DD).",
    "date-time": "Must be a date and time.",
    "time": "Must be a time (HH:MM:SS).",
    "email": "Must be an e-mail address.",
}


def validate_form(schema: Mapping[str, Any], data: object) -> dict[str, str]:
    """{dotted path: message} for everything wrong with `data`; empty when it is valid."""
    errors = _guard(data)
    if errors:
        return errors
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    try:
        for error in validator.iter_errors(data):
            for path, message in _explain(error):
                errors.setdefault(path, message)  # the first error per field is the one people fix first
    except (Unresolvable, UnknownType) as exc:
        # Only a schema that skipped check_form_schema gets here; the form is at fault, not the data.
        raise SchemaInvalid(f"the form schema cannot be used: {exc}") from exc
    return errors


def validate_or_raise(schema: Mapping[str, Any], data: object) -> None:
    """Raise FormDataInvalid with the per-field errors unless `data` is valid."""
    errors = validate_form(schema, data)
    if errors:
        raise FormDataInvalid(errors)


def _guard(data: object) -> dict[str, str]:
    """Size, depth and count limits, checked without recursion so hostile nesting cannot overflow."""
    errors: dict[str, str] = {}
    stack: list[tuple[str, int, object]] = [("", 0, data)]
    count = 0
    while stack:
        path, depth, value = stack.pop()
        count += 1
        if count > MAX_VALUES:
            errors[""] = f"The form holds too many values (at most {MAX_VALUES})."
            break
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                errors[path] = f"Must be at most {MAX_STRING} characters."
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            errors[path] = f"Nested too deeply (at most {MAX_DEPTH} levels)."
            continue
        entries = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in entries:
            name = str(key)
            if len(name) > MAX_STRING:
                errors[path] = "A field name is too long."
                continue
            stack.append((f"{path}.{name}" if path else name, depth + 1, item))
    return errors


def _explain(error: ValidationError) -> Iterator[tuple[str, str]]:
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
                yield _join(path, name), REQUIRED
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = _known_names(schema)
        patterns = schema.get("patternProperties")
        patterns = list(patterns) if isinstance(patterns, Mapping) else []
        extra = [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]
        for name in extra or [""]:
            yield (_join(path, name) if name else path), "This field is not part of the form."
        return
    yield path, _message(keyword, value, instance, error)


def _message(keyword: str, value: Any, instance: object, error: ValidationError) -> str:
    if keyword == "type":
        wanted = [value] if isinstance(value, str) else [t for t in value if t != "null"] or ["null"]
        return _TYPE_WORDS.get(wanted[0], error.message)
    if keyword in ("enum", "const"):
        return "Choose one of the listed options."
    if keyword in ("oneOf", "anyOf") and isinstance(error.schema, Mapping) and choices(error.schema) is not None:
        return "Choose one of the listed options."
    if keyword == "minLength":
        return REQUIRED if value == 1 or instance == "" else f"Must be at least {value} characters."
    if keyword == "maxLength":
        return f"Must be at most {value} characters."
    if keyword == "minimum":
        return f"Must be at least {value}."
    if keyword == "maximum":
        return f"Must be at most {value}."
    if keyword == "exclusiveMinimum":
        return f"Must be more than {value}."
    if keyword == "exclusiveMaximum":
        return f"Must be less than {value}."
    if keyword == "minItems":
        return REQUIRED if value == 1 else f"Choose or add at least {value}."
    if keyword == "maxItems":
        return f"Choose or add at most {value}."
    if keyword == "uniqueItems":
        return "Each choice may appear only once."
    if keyword == "format":
        return _FORMAT_WORDS.get(str(value), error.message)
    if keyword == "pattern":
        return "Does not match the expected form."
    if keyword == "multipleOf":
        return f"Must be a multiple of {value}."
    return error.message


def _known_names(schema: object) -> set[str]:
    if not isinstance(schema, Mapping):
        return set()
    props = schema.get("properties")
    return set(props) if isinstance(props, Mapping) else set()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
