"""Functions BPMN scripts and expressions may call, besides the sandbox's builtins.

Keep them pure and small: they run inside the restricted environment with the task data.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any


def _as_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


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


SCRIPT_HELPERS = {"add_days": add_days, "deadline_at": deadline_at, "age_on": age_on}
