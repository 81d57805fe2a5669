"""The task races of test_http_concurrency, made deterministic: thread A is held right after it has
read the task row, thread B does its whole use case meanwhile, then A goes on. A correct locking
scheme makes B wait for A (or A see B's change): the outcome must equal some one-at-a-time order.

On SQLite `BEGIN IMMEDIATE` already serialises the writers (B waits on the busy timeout while A is
held). On PostgreSQL claim, unclaim, save_draft and complete_task lock the task row (FOR UPDATE), so
B waits for A there too; before that fix each interleaving below lost an update on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from support_api import actor, case_with_flow, deploy_case_flow, open_task, task_row, user

from services.context import Services
from services.errors import Conflict
from services.tasks import claim, complete_task, save_draft

HOLD_SECONDS = 1.0


def _hold_after_task_read(svc: Services, thread_name: str, released: threading.Event) -> Callable[[], None]:
    """Pause `thread_name` after its first statement that reads human_task, until `released` or the
    hold time is up. Returns a function that removes the hook."""
    state = {"held": False}

    def after(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name != thread_name or state["held"]:
            return
        if "FROM human_task" in statement and statement.lstrip().upper().startswith("SELECT"):
            state["held"] = True
            released.wait(HOLD_SECONDS)

    event.listen(svc.db, "after_cursor_execute", after)
    return lambda: event.remove(svc.db, "after_cursor_execute", after)


def _interleave(svc: Services, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run `first` in thread A (held after reading the task) and `second` in thread B meanwhile."""
    done = threading.Event()
    results: dict[str, Any] = {}
    remove = _hold_after_task_read(svc, "A", done)

    def run(name: str, fn: Callable[[], Any]) -> None:
        try:
            results[name] = fn()
        except Exception as exc:
            results[name] = exc
        finally:
            if name == "B":
                done.set()

    a = threading.Thread(target=run, args=("A", first), name="A")
    a.start()
    while not a.is_alive():
        pass
    b = threading.Thread(target=run, args=("B", second), name="B")
    # Give A the head start to its read before B begins.
    threading.Event().wait(0.2)
    b.start()
    a.join(timeout=60)
    b.join(timeout=60)
    remove()
    return results.get("A"), results.get("B")


@pytest.fixture
def task(svc: Services) -> str:
    deploy_case_flow(svc)
    for name in ("ann", "bob"):
        user(svc, name, ["intake"], team="A")
    _case, instance = case_with_flow(svc, "A", reference="AUT-2026-000001")
    return open_task(svc, instance, "register")


DATA = {"client_name": "Anna", "received_on": "2026-03-01"}


def test_two_claims_one_wins(svc: Services, task: str) -> None:
    ann, bob = actor(svc, "ann"), actor(svc, "bob")
    a, b = _interleave(svc, lambda: claim(svc, ann, task), lambda: claim(svc, bob, task))
    outcomes = [isinstance(x, Conflict) for x in (a, b)]
    assert sorted(outcomes) == [False, True], (a, b)
    winner = "ann" if not isinstance(a, Exception) else "bob"
    assert task_row(svc, task).assignee == winner


def test_a_claimed_task_is_not_completed_by_someone_else(svc: Services, task: str) -> None:
    ann, bob = actor(svc, "ann"), actor(svc, "bob")
    a, b = _interleave(svc, lambda: complete_task(svc, ann, task, DATA), lambda: claim(svc, bob, task))
    both_succeeded = not isinstance(a, Exception) and not isinstance(b, Exception)
    assert not both_succeeded, "bob was told he holds the task, and ann completed it anyway"
    assert isinstance(a, Exception) or isinstance(b, Conflict), (a, b)


def test_a_draft_never_lands_on_a_completed_task(svc: Services, task: str) -> None:
    ann, bob = actor(svc, "ann"), actor(svc, "bob")
    a, b = _interleave(
        svc, lambda: save_draft(svc, ann, task, {"client_name": "draft"}), lambda: complete_task(svc, bob, task, DATA)
    )
    row = task_row(svc, task)
    assert not isinstance(b, Exception) and row.status == "completed", (a, b)
    assert row.draft is None, f"draft {row.draft} written onto the completed task (draft: {a!r})"
