"""An injectable clock for BPMN timers.

SpiffWorkflow's timer events call `datetime.now(timezone.utc)` through the module-level name
`datetime` in `SpiffWorkflow.bpmn.specs.event_definitions.timer`. We replace that name, once, with
a subclass whose `now()` answers from a context variable, so each engine operation can run on its
own clock (tests, the worker's notion of "now") without any global state leaking between threads.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer  # type: ignore[import-untyped]

Clock = Callable[[], datetime]

_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("auttamo_engine_clock", default=None)


def system_clock() -> datetime:
    """The real time, timezone-aware UTC."""
    return datetime.now(UTC)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockedDatetime:
        clock = _current.get()
        if clock is None:
            return super().now(tz)  # type: ignore[return-value]
        value = clock()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(tz) if tz is not None else value.astimezone().replace(tzinfo=None)
        return cls.combine(value.date(), value.timetz())


_installed = False


def install() -> None:
    """Route SpiffWorkflow's timer clock through our context variable (idempotent)."""
    global _installed
    if not _installed:
        _spiff_timer.datetime = _ClockedDatetime
        _installed = True


@contextlib.contextmanager
def using(clock: Clock) -> Iterator[None]:
    """Run the enclosed engine work with `clock` as the timers' notion of now."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)


def now() -> datetime:
    """The time the current engine operation runs at (its clock), or the real time outside one.
    Script helpers use this, so a BPMN script sees the same 'now' as the timers."""
    clock = _current.get()
    return aware(clock()) if clock is not None else system_clock()


def aware(value: datetime) -> datetime:
    """A timezone-aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
