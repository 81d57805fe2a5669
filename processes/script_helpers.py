"""Functions BPMN scripts and expressions may call, besides the sandbox's builtins.

Keep them small and pure: they run inside the restricted environment with the task data. The one
exception is the clock (`now_utc`, `today`, `is_past`): it answers with the engine's notion of now,
the same clock BPMN timers use (a fake clock in tests, the worker's clock when timers fire).
Deadline and eligibility rules come from `processes.rules`, where their defaults are documented.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from engine import clock as _engine_clock
from processes import rules as _rules


def _as_date(value: Any) -> _dt.date:
    return _rules.as_date(value)


def add_days(start: Any, days: int) -> str:
    """ISO date `days` after `start` (an ISO date/datetime string or date)."""
    return (_as_date(start) + _dt.timedelta(days=int(days))).isoformat()


def deadline_at(start: Any, days: int, hour: int = 16) -> str:
    """An ISO datetime (UTC) `days` after `start`, at `hour`:00, for timeDate timers."""
    day = _as_date(start) + _dt.timedelta(days=int(days))
    return _dt.datetime(day.year, day.month, day.day, int(hour), tzinfo=_dt.UTC).isoformat()


def age_on(birth: Any, on: Any) -> int | None:
    """Age in whole years at date `on`; None when the birth date is unknown."""
    if not birth:
        return None
    b, d = _as_date(birth), _as_date(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def _engine_now() -> _dt.datetime:
    # The clock of the engine step this script runs in; the system clock outside one.
    return _engine_clock.now()


def now_utc() -> str:
    """The current instant in UTC as an ISO string, on the engine's clock."""
    return _engine_now().isoformat()


def today() -> str:
    """Today's date (UTC) as an ISO string, on the engine's clock."""
    return _engine_now().date().isoformat()


def is_past(instant: Any) -> bool:
    """True when the ISO instant (or the start of an ISO date) has passed on the engine's clock."""
    text = str(instant)
    moment = _dt.datetime.fromisoformat(text if "T" in text else _rules.start_of(text))
    return _engine_clock.aware(moment) <= _engine_now()


SCRIPT_HELPERS = {
    "add_days": add_days,
    "deadline_at": deadline_at,
    "age_on": age_on,
    "now_utc": now_utc,
    "today": today,
    "is_past": is_past,
    "add_months": _rules.add_months,
    "start_of": _rules.start_of,
    "end_of": _rules.end_of,
    "appeal_deadline_for": _rules.appeal_deadline_for,
    "reflection_last_day": _rules.reflection_last_day,
    "reflection_latest_day": _rules.reflection_latest_day,
    "reflection_problem_for": _rules.reflection_problem_for,
    "reflection_reminder_for": _rules.reflection_reminder_for,
    "next_review_day": _rules.next_review_day,
    "hearing_deadline_for": _rules.hearing_deadline_for,
    "info_reminder_day": _rules.info_reminder_day,
    "info_close_day": _rules.info_close_day,
    "decision_target_day": _rules.decision_target_day,
    "referral_check_day": _rules.referral_check_day,
    "age_of_client": _rules.age_of_client,
    "is_minor": _rules.is_minor,
    "consent_problem_for": _rules.consent_problem_for,
    "basis_of": _rules.BASIS.get,
}
