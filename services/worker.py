"""The background worker loop: fire due timers, run the outbox, sleep, repeat."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from services.context import Services
from services.housekeeping import sweep
from services.outbox import run_outbox
from services.retention import run_daily_erasure
from services.timers import fire_due_timers

log = logging.getLogger("auttamo.worker")
SWEEP_EVERY = timedelta(hours=1)  # expired sessions and old sign-in records (services/housekeeping.py)


def work_once(svc: Services) -> tuple[int, int]:
    """One pass: (instances whose timers fired, outbox items attempted)."""
    fired = fire_due_timers(svc, limit=svc.settings.worker_batch_size)
    sent = run_outbox(svc, limit=svc.settings.worker_batch_size)
    return fired, sent


def run_worker(svc: Services, stop: threading.Event) -> None:
    """Loop until `stop` is set. Errors are logged and the loop goes on: one bad instance must not
    stop every other case's timers."""
    next_sweep = svc.now()
    while not stop.is_set():
        _daily_erasure(svc)
        if svc.now() >= next_sweep:
            _housekeeping(svc)
            next_sweep = svc.now() + SWEEP_EVERY
        try:
            fired, sent = work_once(svc)
        except Exception:
            log.exception("worker pass failed")
            fired = sent = 0
        if fired or sent:
            log.info("worker pass: %d timer instance(s), %d outbox item(s)", fired, sent)
            continue  # more may be due; poll again at once
        stop.wait(svc.settings.worker_poll_seconds)


# --- data protection: the daily erasure job (services/retention.py) ----------------------------------


def _daily_erasure(svc: Services) -> None:
    """Erase personal data past its retention period: at most once per day (a `retention_run` row)."""
    try:
        erased = run_daily_erasure(svc)
    except Exception:
        log.exception("daily erasure failed")
        return
    if erased is not None:
        log.info("daily erasure: %d case(s) erased", erased)


def _housekeeping(svc: Services) -> None:
    try:
        swept = sweep(svc)
    except Exception:
        log.exception("housekeeping failed")
        return
    if swept.sessions or swept.sign_in_attempts:
        log.info(
            "housekeeping: %d expired session(s), %d old sign-in record(s)", swept.sessions, swept.sign_in_attempts
        )
