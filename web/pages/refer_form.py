"""The public referral form: its choices in the page's language, and the referral document built
from what was posted, with per-field errors worded for people (the server always validates).

Field names are flat (`referrer_type`, `given_names`, `nationality_1` ...); the document they build
is the one every channel uses (processes/referral_document.py), so the checks are the API's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from babel import Locale
from pydantic import ValidationError

from forms import storable_errors
from processes.codelists import CodeSetName, code_set
from processes.iso_codes import ISO_639_1, ISO_3166_ALPHA2, USER_ASSIGNED_COUNTRIES
from processes.referral_document import ReferralDocument
from web.i18n import N_

Translate = Callable[..., str]  # (message id, **params) -> the text in the page's language

NATIONALITY_FIELDS = ("nationality_1", "nationality_2")
LANGUAGE_FIELDS = ("language_1", "language_2", "language_3")
TEXT_LIMITS = {  # what the inputs say as maxlength; the document model enforces the real limits
    "referrer_organisation": 200,
    "referrer_name": 200,
    "referrer_phone": 40,
    "referrer_email": 254,
    "given_names": 200,
    "family_name": 200,
    "birth_date": 10,
    "birth_year": 4,
    "description": 10_000,
    "consent_date": 10,
}
CODE_FIELDS: dict[str, CodeSetName] = {
    "referrer_type": "referrer_type",
    "gender": "gender",
    "residence_status": "residence_status",
    "exploited_in": "exploited_in",
    "consent_method": "consent_method",
}
SINGLE_FIELDS = (*TEXT_LIMITS, *CODE_FIELDS, *NATIONALITY_FIELDS, *LANGUAGE_FIELDS, "interpreter_needed")
CHECKBOXES = ("urgent", "consent_given", "guardian_consent", "child_consent")
KEEP_AT_MOST = 20_000  # what is kept of a posted value to show again (the limits above report the rest)
CHILD_OWN_CONSENT_AGE = 15  # 15-17: the child's own consent as well as the guardian's (consent_requirements.dmn)
ADULT_AGE = 18

# (document path) -> form field
_PATHS = {
    ("referrer", "type"): "referrer_type",
    ("referrer", "organisation"): "referrer_organisation",
    ("referrer", "name"): "referrer_name",
    ("referrer", "phone"): "referrer_phone",
    ("referrer", "email"): "referrer_email",
    ("client", "given_names"): "given_names",
    ("client", "family_name"): "family_name",
    ("client", "birth_date"): "birth_date",
    ("client", "birth_year"): "birth_year",
    ("client", "gender"): "gender",
    ("client", "interpreter_needed"): "interpreter_needed",
    ("client",): "birth_year",  # the only check on the whole client: birth date and year disagree
    ("consent", "given"): "consent_given",
    ("consent", "date"): "consent_date",
    ("consent", "method"): "consent_method",
}


def read_values(form: Mapping[str, Any], multi: Callable[[str], list[str]]) -> dict[str, Any]:
    """What was posted, as the page shows it again: strings (bounded), ticks, and the ticked list."""
    values: dict[str, Any] = {}
    for name in SINGLE_FIELDS:
        raw = form.get(name)
        values[name] = raw.strip()[:KEEP_AT_MOST] if isinstance(raw, str) else ""
    for name in CHECKBOXES:
        values[name] = form.get(name) == "yes"
    values["suspected_exploitation"] = [v[:60] for v in multi("suspected_exploitation")[:20]]
    return values


def _text(values: Mapping[str, Any], name: str) -> str | None:
    return values[name] or None


def _year(text: str) -> int | str | None:
    if not text:
        return None
    return int(text) if text.isdigit() else text  # the model reports what is not a number


def document_values(values: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The referral document's JSON from the flat form values."""
    interpreter = {"yes": True, "no": False}.get(values["interpreter_needed"])
    return {
        "referrer": {
            "type": values["referrer_type"] or None,
            "organisation": _text(values, "referrer_organisation"),
            "name": _text(values, "referrer_name"),
            "phone": _text(values, "referrer_phone"),
            "email": _text(values, "referrer_email"),
        },
        "client": {
            "given_names": _text(values, "given_names"),
            "family_name": _text(values, "family_name"),
            "birth_date": _text(values, "birth_date"),
            "birth_year": _year(values["birth_year"]),
            "gender": values["gender"] or "unknown",
            "nationalities": [values[n] for n in NATIONALITY_FIELDS if values[n]],
            "languages": [values[n] for n in LANGUAGE_FIELDS if values[n]],
            "interpreter_needed": interpreter,
        },
        "residence_status": _text(values, "residence_status"),
        "description": _text(values, "description"),
        "suspected_exploitation": list(values["suspected_exploitation"]),
        "exploited_in": _text(values, "exploited_in"),
        "urgent": bool(values["urgent"]),
        "consent": {
            "given": bool(values["consent_given"]),
            "date": _text(values, "consent_date") or today.isoformat(),
            "method": _text(values, "consent_method"),
            "guardian_consent": True if values["guardian_consent"] else None,
            "child_consent": True if values["child_consent"] else None,
        },
    }


def build_document(
    values: Mapping[str, Any], today: dt.date, tr: Translate, lang: str
) -> tuple[ReferralDocument | None, dict[str, str]]:
    """The validated document, or None and {field: message} (in the page's language)."""
    unstorable = storable_errors(dict(values), lang=lang)  # NUL, lone surrogates: no database keeps them
    if unstorable:
        return None, {path.split(".")[0]: message for path, message in unstorable.items()}
    errors: dict[str, str] = {}
    if not values["consent_given"]:
        errors["consent_given"] = tr(N_("A referral needs the consent of the person referred."))
    if not values["referrer_type"]:
        errors["referrer_type"] = tr(N_("This field is required."))
    try:
        doc = ReferralDocument.model_validate(document_values(values, today))
    except ValidationError as exc:
        for err in exc.errors():
            field = field_of(tuple(err["loc"]))
            errors.setdefault(field, message_of(err, field, tr))
        return None, errors
    age = doc.client.min_age_on(today)
    if age is not None and CHILD_OWN_CONSENT_AGE <= age < ADULT_AGE and not values["child_consent"]:
        errors["child_consent"] = tr(N_("A child aged 15–17 must also consent themselves."))
    return (None, errors) if errors else (doc, {})


def field_of(loc: tuple[Any, ...]) -> str:
    """The form field a document path belongs to ("_form" when none does)."""
    if len(loc) >= 2 and loc[0] == "client" and loc[1] in ("nationalities", "languages"):
        fields = NATIONALITY_FIELDS if loc[1] == "nationalities" else LANGUAGE_FIELDS
        index = loc[2] if len(loc) > 2 and isinstance(loc[2], int) else 0
        return fields[min(index, len(fields) - 1)]
    if loc and loc[0] in ("suspected_exploitation", "residence_status", "description", "exploited_in", "urgent"):
        return str(loc[0])
    return _PATHS.get(loc[:2], _PATHS.get(loc[:1], "_form"))


def message_of(err: Mapping[str, Any], field: str, tr: Translate) -> str:
    """A person's wording of one pydantic error."""
    kind, ctx = str(err.get("type", "")), err.get("ctx") or {}
    if field == "consent_given":
        return tr(N_("A referral needs the consent of the person referred."))
    if kind == "missing":
        return tr(N_("This field is required."))
    if kind == "string_too_long":
        return tr(N_("At most %(value)s characters."), value=ctx.get("max_length", ""))
    if kind == "string_too_short":
        return tr(N_("At least %(value)s characters."), value=ctx.get("min_length", ""))
    if kind == "string_pattern_mismatch":
        if field == "referrer_email":
            return tr(N_("Must be an e-mail address."))
        return tr(N_("Use digits, spaces and + ( ) - . / only."))
    if kind.startswith("date"):
        return tr(N_("Must be a date (YYYY-MM-DD)."))
    if kind.startswith("int"):
        return tr(N_("Must be a whole number."))
    if kind == "greater_than_equal":
        return tr(N_("Must be at least %(value)s."), value=ctx.get("ge", ""))
    if kind == "less_than_equal":
        return tr(N_("Must be at most %(value)s."), value=ctx.get("le", ""))
    if kind == "too_long":
        return tr(N_("Choose or add at most %(value)s."), value=ctx.get("max_length", ""))
    if field == "birth_year" and "disagree" in str(err.get("msg", "")):
        return tr(N_("The birth date and the birth year disagree."))
    if "once" in str(err.get("msg", "")):
        return tr(N_("Each choice may appear only once."))
    if kind == "value_error":
        return tr(N_("Choose one of the listed options."))
    return tr(N_("Check this field."))


@cache
def choices(lang: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every select and checkbox group of the form: (code, label in `lang`)."""
    locale = Locale.parse(lang)
    result: dict[str, tuple[tuple[str, str], ...]] = {
        name: tuple((code, code_set(codes).label(code, lang)) for code in code_set(codes))
        for name, codes in CODE_FIELDS.items()
    }
    result["suspected_exploitation"] = tuple(
        (code, code_set("exploitation_form").label(code, lang)) for code in code_set("exploitation_form")
    )
    countries = sorted(
        ((c, locale.territories.get(c, c)) for c in (*ISO_3166_ALPHA2, *USER_ASSIGNED_COUNTRIES)),
        key=lambda pair: pair[1].casefold(),
    )
    special = tuple((c, _SPECIAL_NATIONALITY[c][lang]) for c in ("stateless", "unknown"))
    result["nationality"] = (*special, *countries)
    result["language"] = tuple(
        sorted(((c, locale.languages.get(c, c)) for c in ISO_639_1), key=lambda pair: pair[1].casefold())
    )
    return result


_SPECIAL_NATIONALITY = {
    "stateless": {"fi": "Kansalaisuudeton", "en": "Stateless"},
    "unknown": {"fi": "Ei tiedossa", "en": "Unknown"},
}
