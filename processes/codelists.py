"""Typed access to the product's code lists (`processes/codelists.json`).

Codes are stable identifiers: stored in case data, sent over the API and counted in the statistics;
labels are for display only. The JSON is the product's own copy of the shared lists (change a code only
with a data migration). It is read on first use and cached, never at import time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from processes.iso_codes import ISO_639_1, ISO_3166_ALPHA2, USER_ASSIGNED_COUNTRIES

CodeSetName = Literal[
    "referrer_type",
    "client_category",
    "gender",
    "residence_status",
    "exploitation_form",
    "exploited_in",
    "assistance_measure",
    "service_provider",
    "decision_outcome",
    "rejection_ground",
    "exit_reason",
    "consent_method",
    "reflection_interruption_ground",
    "age_group",
    # product-local additions (not in the shared lists): the anonymous-consultation log
    "consultation_topic",
    "consultation_outcome",
]

# Nationality values besides ISO 3166-1 alpha-2 codes (codelists.json: "nationality").
SPECIAL_NATIONALITIES = frozenset({"stateless", "unknown"})


@dataclass(frozen=True)
class CodeSet:
    """One code list: code -> its entry (`fi`/`en` labels, and list-specific keys like `rule` or `min`)."""

    name: str
    entries: Mapping[str, Mapping[str, Any]]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.entries)

    def label(self, code: str, lang: str = "en") -> str:
        """The display label in `lang` (falls back to English, then to the code itself)."""
        entry = self.entries.get(code, {})
        return str(entry.get(lang) or entry.get("en") or code)

    def attribute(self, code: str, key: str) -> Any:
        """A list-specific attribute of one code, e.g. `exit_reason`'s `decision` flag."""
        return self.entries[code].get(key)


@dataclass(frozen=True)
class CodeLists:
    """All code lists of `codelists.json`."""

    sets: Mapping[str, CodeSet]
    wellbeing_counties: tuple[str, ...]
    lawful_residence_statuses: frozenset[str]
    periods: Mapping[str, int]

    def __getitem__(self, name: CodeSetName) -> CodeSet:
        return self.sets[name]


def _parse(raw: Mapping[str, Any]) -> CodeLists:
    sets = {
        name: CodeSet(name, {code: dict(entry) for code, entry in value.items()})
        for name, value in raw.items()
        if isinstance(value, dict) and name != "periods"
    }
    return CodeLists(
        sets=sets,
        wellbeing_counties=tuple(raw["wellbeing_county"]),
        lawful_residence_statuses=frozenset(raw["lawful_residence_statuses"]),
        periods={str(k): int(v) for k, v in raw["periods"].items()},
    )


@cache
def codelists() -> CodeLists:
    """The code lists, read once from the package's JSON file."""
    text = files("processes").joinpath("codelists.json").read_text(encoding="utf-8")
    return _parse(json.loads(text))


def code_set(name: CodeSetName) -> CodeSet:
    return codelists()[name]


def is_code(name: CodeSetName, value: object) -> bool:
    return value in codelists()[name]


def is_nationality(value: str) -> bool:
    """ISO 3166-1 alpha-2 (upper case), Kosovo's XK, or 'stateless' / 'unknown'."""
    return value in ISO_3166_ALPHA2 or value in USER_ASSIGNED_COUNTRIES or value in SPECIAL_NATIONALITIES


def is_language(value: str) -> bool:
    """ISO 639-1 (lower case)."""
    return value in ISO_639_1
