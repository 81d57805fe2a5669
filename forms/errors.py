"""Errors the forms package raises. No HTTP here; the web layer maps them to status codes.

FormError
├── SchemaInvalid      a form's JSON Schema or UI schema cannot be used (message names the problem)
└── FormDataInvalid    submitted data failed validation; carries {dotted field path: message}
"""

from __future__ import annotations


class FormError(Exception):
    """Base class for everything the forms package raises on purpose."""


class SchemaInvalid(FormError):
    """The schema (or UI schema) is not a usable form."""


class FormDataInvalid(FormError):
    """Submitted data does not satisfy the form's schema."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.items()), ("", "invalid form data"))
        where = f"{first[0]}: " if first[0] else ""
        super().__init__(f"{len(self.errors)} error(s); first: {where}{first[1]}")
