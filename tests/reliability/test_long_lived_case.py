"""A client case that runs seven years: a review every six months (a timeDate timer computed from the
last review, fired by the timer worker's use case) and a dozen caseworker updates in between, through
the services layer on both databases (tests/data/long_review).

The stored state must stay small, load fast and stay far from SpiffWorkflow's task-tree depth limit
(1000, where a case silently stops). Figures are printed for the README; the assertions are bounds
with a wide margin, not timings to the millisecond.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from reliability_kit import check_consistency
from sqlalchemy import select
from support import OWNER, FakeClock, files_of
from support_api import actor, user

from services.context import Services
from services.deploy import deploy
from services.instances import start_instance
from services.runtime import restore
from services.tasks import complete_task
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import HumanTask, ProcessInstance

REVIEWS = 14
UPDATES = 12
MAX_STATE_BYTES = 400_000
MAX_DEPTH = 300  # SpiffWorkflow stalls at 1000


def _open(svc: Services, instance_id: int, bpmn_id: str) -> str | None:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalars(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
            )
        ).first()


def _row(svc: Services, instance_id: int) -> ProcessInstance:
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        return row


def test_seven_years_of_reviews_and_updates(svc: Services, clock: FakeClock, database_url: str) -> None:
    deploy(svc, OWNER, files_of("long_review"))
    user(svc, "carl", ["caseworker"])
    carl = actor(svc, "carl")
    opened = clock.now
    info = start_instance(svc, OWNER, "long_review", {"opened_on": opened.date().isoformat()})
    updates = reviews = 0
    sizes: list[int] = []
    for n in range(REVIEWS):
        # Updates come between reviews: 12 of them spread over the first reviews' months.
        if updates < UPDATES and n % 1 == 0:
            for _ in range(1 if n < UPDATES - 1 else UPDATES - updates):
                task = _open(svc, info.id, "update_case")
                assert task is not None, f"no update task before review {n + 1}"
                updates += 1
                data = {
                    "case_note": f"update {updates}: contact person changed, new appointment booked",
                    "contact_phone": f"+358 40 000 {updates:04d}",
                    "more_updates_expected": updates < UPDATES,
                }
                complete_task(svc, carl, task, data)
        due = _row(svc, info.id).next_timer_at
        assert due is not None, f"no review timer before review {n + 1}"
        clock.now = due + timedelta(minutes=1)  # the worker runs a little after the timer is due
        assert fire_due_timers(svc, now=clock.now) == 1
        review = _open(svc, info.id, "review")
        assert review is not None, (n, due, _row(svc, info.id).active_elements)
        complete_task(
            svc,
            carl,
            review,
            {
                "review_summary": f"Review {n + 1}: housing stable, language course going on, health care arranged.",
                "service_needs": ["housing", "health_care", "legal_aid", "language_course"],
                "continue_support": True,
            },
        )
        reviews += 1
        sizes.append(_row(svc, info.id).state_size)
    row = _row(svc, info.id)
    years = (clock.now - opened).days / 365.25
    assert reviews == REVIEWS and updates == UPDATES
    assert years >= 6.9, years
    assert row.next_timer_at is None and row.status == "running"
    assert _open(svc, info.id, "close") is not None  # both loops have ended; the case waits to be closed
    # Load time: the full restore the services do before every change (spec cached, as in production).
    with UnitOfWork(svc.sessions) as uow:
        stored = uow.session.get(ProcessInstance, info.id)
        assert stored is not None
        restore(svc, uow, stored)
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            restore(svc, uow, stored)
            timings.append((time.perf_counter() - started) * 1000)
    load_ms = statistics.median(timings)
    assert row.state_size < MAX_STATE_BYTES, row.state_size
    assert row.tree_depth < MAX_DEPTH, row.tree_depth
    assert load_ms < 250, load_ms
    assert check_consistency(svc).problems == []
    complete_task(svc, carl, _open(svc, info.id, "close") or "", {"case_note": "The client left the system."})
    assert _row(svc, info.id).status == "completed"
    db = database_url.split(":")[0]
    print(
        f"\n[long-lived {db}] {years:.1f} years, {reviews} reviews, {updates} updates: state {row.state_size} bytes "
        f"(after review 1: {sizes[0]}, growth {(sizes[-1] - sizes[0]) / (len(sizes) - 1):.0f} bytes/review), "
        f"tree depth {row.tree_depth}, load {load_ms:.1f} ms (median of 20), "
        f"ended {datetime.fromisoformat(str(clock.now)).date()}"
    )
