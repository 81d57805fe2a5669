"""Field error messages in the UI language, for messages worded in English.

The task page passes its language to forms.validate_form (through services.tasks.complete_task), so
form validation errors arrive already translated. The services word their own errors (admin forms,
"not on the form", the JSON API's English validation) in plain English; those are translated here.
Fixed messages are catalog entries; the ones with a number in them are matched by pattern and
re-worded through a catalog entry with a placeholder. Anything unknown (e.g. an already Finnish
message) stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from web.i18n import N_, Catalogs

FIXED = (
    N_("This field is required."),
    N_("Must be a whole number."),
    N_("Must be a number."),
    N_("Must be yes or no."),
    N_("Must be text."),
    N_("Must be a list."),
    N_("Must be a group of fields."),
    N_("Must be empty."),
    N_("Must be a date (YYYY-MM-DD)."),
    N_("Must be a date and time."),
    N_("Must be a time (HH:MM:SS)."),
    N_("Must be an e-mail address."),
    N_("Choose one of the listed options."),
    N_("Each choice may appear only once."),
    N_("Does not match the expected form."),
    N_("This field is not part of the form."),
    N_("This field is not on the form."),
    N_("A field name is too long."),
    # services/admin.py and services/inbox.py
    N_("Use letters, digits, '.', '-' or '_' (at most 100)."),
    N_("Unknown role."),
    N_("Choose at least one role."),
    N_("No such team."),
    N_("A user with this name already exists."),
    N_("You cannot remove your own administrator role."),
    N_("Give a name of 1 to 100 characters."),
    N_("A team with this name already exists."),
)

PATTERNS = (
    (re.compile(r"Must be at least (\S+) characters\."), N_("Must be at least %(value)s characters.")),
    (re.compile(r"Must be at most (\S+) characters\."), N_("Must be at most %(value)s characters.")),
    (re.compile(r"At least (\S+) characters\."), N_("At least %(value)s characters.")),
    (re.compile(r"At most (\S+) characters\."), N_("At most %(value)s characters.")),
    (re.compile(r"Must be at least (\S+)\."), N_("Must be at least %(value)s.")),
    (re.compile(r"Must be at most (\S+)\."), N_("Must be at most %(value)s.")),
    (re.compile(r"Must be more than (\S+)\."), N_("Must be more than %(value)s.")),
    (re.compile(r"Must be less than (\S+)\."), N_("Must be less than %(value)s.")),
    (re.compile(r"Must be a multiple of (\S+)\."), N_("Must be a multiple of %(value)s.")),
    (re.compile(r"Choose or add at least (\S+)\."), N_("Choose or add at least %(value)s.")),
    (re.compile(r"Choose or add at most (\S+)\."), N_("Choose or add at most %(value)s.")),
)
_FIXED = frozenset(FIXED)


def translate_message(catalogs: Catalogs, lang: str, message: str) -> str:
    if message in _FIXED:
        return catalogs.gettext(lang, message)
    for pattern, template in PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return catalogs.gettext(lang, template, value=match.group(1))
    return message


def translate_errors(catalogs: Catalogs, lang: str, errors: Mapping[str, str]) -> dict[str, str]:
    """{field path: message} with each message in `lang` where a translation is known."""
    return {path: translate_message(catalogs, lang, message) for path, message in errors.items()}
