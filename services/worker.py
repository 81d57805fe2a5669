"""The background worker loop: fire due timers, run the outbox, sleep, repeat."""

from __future__ import annotations

import logging
import threading

from services.context import Services
from services.outbox import run_outbox
from services.timers import fire_due_timers

log = logging.getLogger("auttamo.worker")


def work_once(svc: Services) -> tuple[int, int]:
    """One pass: (instances whose timers fired, outbox items attempted)."""
    fired = fire_due_timers(svc, limit=svc.settings.worker_batch_size)
    sent = run_outbox(svc, limit=svc.settings.worker_batch_size)
    return fired, sent


def run_worker(svc: Services, stop: threading.Event) -> None:
    """Loop until `stop` is set. Errors are logged and the loop goes on: one bad instance must not
    stop every other case's timers."""
    while not stop.is_set():
        try:
            fired, sent = work_once(svc)
        except Exception:
            log.exception("worker pass failed")
            fired = sent = 0
        if fired or sent:
            log.info("worker pass: %d timer instance(s), %d outbox item(s)", fired, sent)
            continue  # more may be due; poll again at once
        stop.wait(svc.settings.worker_poll_seconds)
