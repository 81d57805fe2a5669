"""Which facts of a case the annual statistics count, read from the case's process data.

The names are the contract of DESIGN.md section 4: the referral document (`referral`), the
assessment's `exploitation_forms` and `exploited_in`, the admission `decision` with its date, and
the exit. Only codes and dates come out of here: never a name or a full birth date.

Age: when only the birth year is known, the age at a date is the lower bound (the birthday may not
have passed yet), as the assistance system counts such a person as possibly a minor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class DecisionFact:
    decided_on: date
    outcome: str
    rejection_ground: str | None


@dataclass(frozen=True)
class CaseFacts:
    received_on: date | None = None
    referrer_type: str | None = None
    client_category: str | None = None
    gender: str | None = None
    birth_year: int | None = None
    age_at_admission: int | None = None
    nationalities: tuple[str, ...] = ()
    residence_status: str | None = None
    exploited_in: str | None = None
    decisions: tuple[DecisionFact, ...] = ()
    admitted_on: date | None = None
    exit_on: date | None = None
    exit_reason: str | None = None
    exploitation: tuple[tuple[str, bool], ...] = ()  # (form code, primary)
    exit_cleared: bool = False  # the data says the exit is undone (e.g. a removal annulled on appeal)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def age_on(birth_date: date | None, birth_year: int | None, on: date) -> int | None:
    """Whole years at `on`; the lower bound when only the year is known."""
    if birth_date is not None:
        return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    if birth_year is not None:
        return max(on.year - birth_year - 1, 0) if (on.month, on.day) != (12, 31) else on.year - birth_year
    return None


def _decisions(data: Mapping[str, Any]) -> tuple[DecisionFact, ...]:
    found: list[DecisionFact] = []
    history = data.get("decisions")
    candidates = [d for d in history if isinstance(d, Mapping)] if isinstance(history, list) else []
    current = data.get("decision")
    if isinstance(current, Mapping):
        candidates.append({**current, "decided_on": current.get("decided_on") or data.get("decided_on")})
    for d in candidates:
        when, outcome = _date(d.get("decided_on")), _str(d.get("outcome"))
        if when is None or outcome not in ("admitted", "rejected"):
            continue  # a draft not yet decided
        fact = DecisionFact(when, outcome, _str(d.get("rejection_ground")) if outcome == "rejected" else None)
        if fact not in found:
            found.append(fact)
    return tuple(sorted(found, key=lambda f: f.decided_on))


def extract_case_facts(data: Mapping[str, Any]) -> CaseFacts | None:
    """The statistics facts in a case's process data; None when it holds no referral."""
    referral = data.get("referral")
    if not isinstance(referral, Mapping):
        return None
    client = referral.get("client") if isinstance(referral.get("client"), Mapping) else {}
    assert isinstance(client, Mapping)
    referrer = referral.get("referrer") if isinstance(referral.get("referrer"), Mapping) else {}
    assert isinstance(referrer, Mapping)
    birth_date = _date(client.get("birth_date"))
    birth_year = (
        birth_date.year
        if birth_date
        else (client.get("birth_year") if isinstance(client.get("birth_year"), int) else None)
    )
    decisions = _decisions(data)
    admitted_on = next((d.decided_on for d in decisions if d.outcome == "admitted"), None)
    forms = data.get("exploitation_forms")
    exploitation = tuple(
        (str(f["form"]), bool(f.get("primary")))
        for f in (forms if isinstance(forms, list) else [])
        if isinstance(f, Mapping) and _str(f.get("form"))
    )
    listed = client.get("nationalities")
    nationalities = tuple(n for n in (listed if isinstance(listed, list) else []) if isinstance(n, str))
    return CaseFacts(
        received_on=_date(referral.get("received_at")),
        referrer_type=_str(referrer.get("type")),
        client_category=_str(data.get("client_category")) or _str(referral.get("client_category")),
        gender=_str(client.get("gender")),
        birth_year=birth_year,
        age_at_admission=age_on(birth_date, birth_year, admitted_on) if admitted_on else None,
        nationalities=nationalities,
        residence_status=_str(data.get("residence_status")) or _str(referral.get("residence_status")),
        exploited_in=_str(data.get("exploited_in")) or _str(referral.get("exploited_in")),
        decisions=decisions,
        admitted_on=admitted_on,
        exit_on=_date(data.get("exit_on") or data.get("exited_on")),
        exit_reason=_str(data.get("exit_reason")),
        exit_cleared="exit_reason" in data and not data.get("exit_reason"),
        exploitation=exploitation,
    )
