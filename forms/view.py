"""FieldView: one form field as the Jinja macros see it (templates/forms/_<widget>.html.j2)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Widget = Literal[
    "text", "textarea", "number", "integer", "date", "checkbox", "select", "radio",
    "checkboxes", "object", "array", "file", "hidden", "password",
]  # fmt: skip


@dataclass(frozen=True)
class FieldView:
    """One field as the templates see it. `name` is the dotted path the input posts (see forms.coerce)."""

    name: str
    widget: Widget
    label: str
    help: str = ""
    required: bool = False
    readonly: bool = False
    disabled: bool = False
    value: Any = ""  # str; bool for "checkbox"; list[str] for "checkboxes"; None for "object"/"array"
    error: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (html value, label)
    children: list[FieldView] = field(default_factory=list)  # "object"
    items: list[list[FieldView]] = field(default_factory=list)  # "array": one list of fields per row
    template: list[FieldView] = field(default_factory=list)  # "array": a blank row, names use ROW_INDEX
    placeholder: str = ""
    min: int | float | None = None
    max: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    step: str | None = None
    rows: int | None = None  # textarea height (ui:options.rows)
    inline: bool = False  # radio/checkboxes side by side (ui:options.inline)
    input_type: str = "text"  # "text" widget: email/url/tel from "format" or ui:widget
    can_add: bool = False
    can_remove: bool = False
    add_label: str = ""
    remove_label: str = ""
    empty_label: str = ""  # the select's "nothing chosen" option

    @property
    def id(self) -> str:
        """HTML id; any character outside [A-Za-z0-9_.] is encoded ("-hex-") so distinct names stay distinct."""
        return "f-" + re.sub(r"[^A-Za-z0-9_.]", lambda m: f"-{ord(m.group()):x}-", self.name)

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def described_by(self) -> str:
        """Value for aria-describedby: the help and error elements that exist ("" if none)."""
        return " ".join(i for i, on in ((self.help_id, self.help), (self.error_id, self.error)) if on)
