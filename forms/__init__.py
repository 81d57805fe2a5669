"""JSON Schema (draft 2020-12) task forms: load, check, coerce form input, validate, build field views.

Pure: imports nothing of the project's other packages (nor web, database or workflow libraries).
Pipeline for an HTML post: apply_row_actions -> coerce_form -> validate_form -> build_fields (on errors).
"""

from __future__ import annotations

from pathlib import Path

from forms.coerce import coerce_form
from forms.errors import FormDataInvalid, FormError, SchemaInvalid
from forms.fields import build_fields, checkbox_paths, unplaced_errors
from forms.i18n import localized
from forms.limits import MAX_DEPTH, MAX_STRING, MAX_VALUES
from forms.rows import apply_row_actions
from forms.schema import (
    check_form_schema,
    check_ui_schema,
    form_keys,
    load_form_schema,
    load_ui_schema,
    parse_schema,
)
from forms.validate import storable_errors, validate_form, validate_or_raise
from forms.view import FieldView, Widget

__all__ = [
    "MAX_DEPTH",
    "MAX_STRING",
    "MAX_VALUES",
    "FieldView",
    "FormDataInvalid",
    "FormError",
    "SchemaInvalid",
    "Widget",
    "apply_row_actions",
    "build_fields",
    "check_form_schema",
    "check_ui_schema",
    "checkbox_paths",
    "coerce_form",
    "form_keys",
    "load_form_schema",
    "load_ui_schema",
    "localized",
    "parse_schema",
    "storable_errors",
    "template_dir",
    "unplaced_errors",
    "validate_form",
    "validate_or_raise",
]


def template_dir() -> Path:
    """The directory to add to a Jinja loader; macros live under "forms/" in it (e.g. forms/_form_fields.html.j2)."""
    return Path(__file__).resolve().parent / "templates"
