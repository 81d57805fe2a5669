"""Deadline, eligibility and consent rules of the assistance system, as pure functions.

BPMN scripts call these (through `processes.script_helpers`) so a deadline is computed in one place,
stored in case data and read by `timeDate` timers (a migration to a new version does not restart it).
Dates are ISO strings `YYYY-MM-DD`; instants are ISO strings in UTC with `+00:00`.

Every number is a default. A process owner overrides one in the model by passing it explicitly, e.g.
`next_review_day(today(), months=3)`; `RULES` below is the single place for a deployment-wide change.
Where the law is unclear (notes/domain.md marks [GAP] or [GK]) the default is policy, and says so:

- `appeal_window_days` = 30: appeal to the administrative court within 30 days of notification
  (Administrative Judicial Procedure Act 808/2019 § 13; Act 746/2011 decisions are appealable) [GK].
- `reflection_min_days` = 30, `reflection_max_months` = 6: Aliens Act 301/2004 § 52 b; at least
  30 days is also the CoE Convention art. 13 minimum. The period counts `days` days from its first day.
- `reflection_reminder_days` = 7: policy (remind the caseworker a week before the end).
- `review_interval_months` = 6: [GAP] no statutory interval; since HE 220/2022 continuation rests on
  an individual assessment of the need for assistance, which implies a periodic review.
- `hearing_days` = 14: [GK] Administrative Procedure Act 434/2003 § 34 requires hearing the client
  before a removal decision; the period is not fixed by law.
- `missing_info_reminder_days` = 7, `missing_info_close_days` = 14: [GAP] policy for a referral that
  lacks information: remind the referrer after a week, close it as incomplete after two.
- `decision_target_days` = 30, `child_decision_target_days` = 7: [GAP] "without undue delay"
  (434/2003 § 23); child referrals are processed urgently (ihmiskauppa.fi, child referrals).
- `referral_check_days` = 1: policy; intake checks a referral on the next working day at the latest.
- `adult_age` = 18, `own_consent_age` = 15: a child under 15 is represented by the guardian; at 15–17
  both the child and the guardian consent (ihmiskauppa.fi, referring a child) — also in
  `bpmn/consent_requirements.dmn`, which the consent process evaluates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rules:
    """The configurable defaults; see the module docstring for the basis of each."""

    appeal_window_days: int = 30
    reflection_min_days: int = 30
    reflection_max_months: int = 6
    reflection_reminder_days: int = 7
    review_interval_months: int = 6
    hearing_days: int = 14
    missing_info_reminder_days: int = 7
    missing_info_close_days: int = 14
    decision_target_days: int = 30
    child_decision_target_days: int = 7
    referral_check_days: int = 1
    adult_age: int = 18
    own_consent_age: int = 15


RULES = Rules()

# What a deadline rests on, recorded next to it in case data (shown with the deadline in the case view).
BASIS = {
    "appeal_deadline": "808/2019 § 13: appeal within 30 days of notification",
    "reflection_end": "Aliens Act 301/2004 § 52 b: reflection period of 30 days to 6 months",
    "next_review_at": "HE 220/2022: continuation rests on an individual assessment (interval: policy, 6 months)",
    "hearing_deadline": "434/2003 § 34: the client is heard before a removal decision (period: policy)",
    "info_close_on": "policy: a referral closes as incomplete if the missing information does not arrive",
    "decision_due_on": "434/2003 § 23: without undue delay (target: policy; children urgently)",
}


# --- dates ---------------------------------------------------------------------------------------
def as_date(value: Any) -> dt.date:
    """A date from a date, a datetime or an ISO string (the date part of an ISO datetime)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if "T" in text:
        parsed = dt.datetime.fromisoformat(text)
        return parsed.astimezone(dt.UTC).date() if parsed.tzinfo else parsed.date()
    return dt.date.fromisoformat(text[:10])


def add_months(start: Any, months: int) -> str:
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    day = as_date(start)
    index = day.month - 1 + int(months)
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1])).isoformat()


def start_of(day: Any) -> str:
    """The instant a day begins (00:00 UTC): when something scheduled for that day falls due."""
    d = as_date(day)
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).isoformat()


def end_of(day: Any) -> str:
    """The instant a day is over (24:00 UTC): a deadline on `day` includes the whole day."""
    d = as_date(day) + dt.timedelta(days=1)
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).isoformat()


# --- deadlines -----------------------------------------------------------------------------------
def appeal_deadline_for(notified_on: Any, days: int | None = None) -> str:
    """The last day to appeal: `days` (default 30) after the day the decision was notified."""
    return (as_date(notified_on) + dt.timedelta(days=RULES.appeal_window_days if days is None else days)).isoformat()


def reflection_last_day(start: Any, days: int) -> str:
    """The last day of a reflection period of `days` days beginning on `start`."""
    return (as_date(start) + dt.timedelta(days=int(days) - 1)).isoformat()


def reflection_latest_day(start: Any, max_months: int | None = None) -> str:
    """The last day a reflection period beginning on `start` may last to (6 calendar months)."""
    months = RULES.reflection_max_months if max_months is None else max_months
    return (as_date(add_months(start, months)) - dt.timedelta(days=1)).isoformat()


def reflection_problem_for(
    start: Any, end: Any, min_days: int | None = None, max_months: int | None = None
) -> str | None:
    """Why a reflection period from `start` to `end` (inclusive) is not allowed, or None if it is."""
    shortest = RULES.reflection_min_days if min_days is None else min_days
    first, last = as_date(start), as_date(end)
    if (last - first).days + 1 < shortest:
        return (
            f"The reflection period must last at least {shortest} days. / "
            f"Harkinta-ajan on oltava vähintään {shortest} päivää."
        )
    latest = reflection_latest_day(first, max_months)
    if last > as_date(latest):
        return (
            f"The reflection period may last at most to {latest} (6 months). / "
            f"Harkinta-aika voi kestää enintään {latest} asti (6 kuukautta)."
        )
    return None


def reflection_reminder_for(end: Any, days: int | None = None) -> str:
    """When to remind the caseworker: at the start of the day `days` (default 7) before the last day."""
    before = RULES.reflection_reminder_days if days is None else days
    return start_of(as_date(end) - dt.timedelta(days=before - 1))


def next_review_day(after: Any, months: int | None = None) -> str:
    """The day the need for assistance is next reviewed (default: 6 months on)."""
    return add_months(after, RULES.review_interval_months if months is None else months)


def hearing_deadline_for(from_day: Any, days: int | None = None) -> str:
    """The last day for the client's statement on a removal proposal (default: 14 days)."""
    return (as_date(from_day) + dt.timedelta(days=RULES.hearing_days if days is None else days)).isoformat()


def info_reminder_day(requested_on: Any, days: int | None = None) -> str:
    """The day the referrer is reminded of missing information (default: 7 days after asking)."""
    return (
        as_date(requested_on) + dt.timedelta(days=RULES.missing_info_reminder_days if days is None else days)
    ).isoformat()


def info_close_day(requested_on: Any, days: int | None = None) -> str:
    """The last day for missing information before the referral closes as incomplete (default 14)."""
    return (
        as_date(requested_on) + dt.timedelta(days=RULES.missing_info_close_days if days is None else days)
    ).isoformat()


def decision_target_day(received: Any, is_child: bool = False, days: int | None = None) -> str:
    """The target day for the admission decision (default 30 days; 7 for a child)."""
    default = RULES.child_decision_target_days if is_child else RULES.decision_target_days
    return (as_date(received) + dt.timedelta(days=default if days is None else days)).isoformat()


def referral_check_day(received: Any, days: int | None = None) -> str:
    """The day intake should have checked a referral (default: the next day)."""
    return (as_date(received) + dt.timedelta(days=RULES.referral_check_days if days is None else days)).isoformat()


# --- the client ----------------------------------------------------------------------------------
def age_of_client(referral: Any, on: Any) -> int | None:
    """The client's age on `on` from `referral.client.birth_date` or `birth_year`; None if unknown.

    With only a birth year the youngest possible age is taken, so a person who may still be a child is
    treated as one (the presumption of minority, as in processes.referral_document)."""
    client = (referral or {}).get("client") or {}
    day = as_date(on)
    birth = client.get("birth_date")
    if birth:
        b = as_date(birth)
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))
    year = client.get("birth_year")
    if year:
        return day.year - int(year) - 1
    return None


def is_minor(age: int | None) -> bool:
    return age is not None and age < RULES.adult_age


# --- consent -------------------------------------------------------------------------------------
CONSENT_FROM = ("person", "guardian", "child_and_guardian")


def consent_problem_for(consent: Any, consent_from: str) -> str | None:
    """What is missing from `consent` for the rule `consent_from` (from consent_requirements.dmn)."""
    c = consent or {}
    if consent_from == "guardian":
        if c.get("guardian_consent") is not True:
            return "The guardian's or representative's consent is required (under 15)."
        return None
    if consent_from == "child_and_guardian":
        missing = [
            who
            for who, key in (("the child", "child_consent"), ("the guardian", "guardian_consent"))
            if c.get(key) is not True
        ]
        return f"Consent is missing from {' and '.join(missing)} (15–17)." if missing else None
    if c.get("given") is not True:
        return "The person's own consent is required."
    return None
