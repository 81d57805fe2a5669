"""Eight clients over real HTTP (uvicorn on a loopback port, httpx in threads) claim, draft and complete
the same few tasks at once, on SQLite and on PostgreSQL.

What must hold whatever the interleaving: every task is completed exactly once; every loser gets a
409 (never a 500, never SQLite's "database is locked"); the final assignee and draft of every task
are what the acknowledged requests, applied one at a time, leave behind; and the stored instances
agree with the inbox and the audit trail (reliability_kit.check_consistency).
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from reliability_kit import check_consistency, completion_counts, live_server
from sqlalchemy import select
from support_api import case_with_flow, deploy_case_flow, user

from services.context import Services
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, ProcessInstance

CLIENTS = 8
CASES = 3
OPS_PER_CLIENT = 30


@dataclass
class Call:
    client: int
    user: str
    op: str
    task: str
    status: int
    body: str
    data: dict[str, Any] | None = None


@dataclass
class World:
    svc: Services
    base: str
    users: list[str]
    headers: list[dict[str, str]]
    instances: list[int]
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


@pytest.fixture
def world(svc: Services) -> Iterator[World]:
    deploy_case_flow(svc)
    users = [f"worker{i}" for i in range(CLIENTS)]
    headers = [user(svc, name, ["intake", "caseworker"], team="A") for name in users]
    instances = [case_with_flow(svc, "A", reference=f"AUT-2026-{i + 1:06d}")[1] for i in range(CASES)]
    with live_server(svc) as base:
        yield World(svc, base, users, headers, instances)


def _form_data(bpmn_id: str, who: str, n: int) -> dict[str, Any]:
    if bpmn_id == "register":
        return {"client_name": f"{who} #{n}", "received_on": "2026-03-01"}
    return {"risk_level": 1 + n % 5, "notes": f"{who} #{n}"}


def _open_tasks(svc: Services, instances: list[int]) -> list[tuple[str, str]]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(
            select(HumanTask.id, HumanTask.bpmn_id).where(
                HumanTask.instance_id.in_(instances), HumanTask.status == "open"
            )
        ).all()
    return [(r[0], r[1]) for r in rows]


def _run_clients(w: World, body: Callable[[int, httpx.Client], None]) -> None:
    barrier = threading.Barrier(CLIENTS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with httpx.Client(base_url=w.base, headers=w.headers[i], timeout=60) as client:
                barrier.wait()
                body(i, client)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert errors == []


def _send(w: World, i: int, client: httpx.Client, op: str, task: str, data: dict[str, Any] | None = None) -> int:
    if op == "claim":
        r = client.post(f"/api/v1/tasks/{task}/claim")
    elif op == "unclaim":
        r = client.post(f"/api/v1/tasks/{task}/unclaim")
    elif op == "draft":
        r = client.put(f"/api/v1/tasks/{task}/draft", json={"data": data})
    else:
        r = client.post(f"/api/v1/tasks/{task}/complete", json={"data": data})
    w.record(Call(i, w.users[i], op, task, r.status_code, r.text, data))
    return r.status_code


def _assert_no_server_errors(w: World) -> None:
    statuses = Counter(c.status for c in w.calls)
    assert set(statuses) <= {200, 403, 409}, statuses
    bad = [c for c in w.calls if c.status >= 500 or "locked" in c.body.lower()]
    assert bad == []
    # A refusal must say why, as {"detail": ...}.
    assert all('"detail"' in c.body for c in w.calls if c.status == 409)


def test_eight_clients_race_to_claim_one_wins_each_task(
    world: World,
) -> None:
    tasks = [t for t, _ in _open_tasks(world.svc, world.instances)]

    def body(i: int, client: httpx.Client) -> None:
        order = list(tasks)
        random.Random(i).shuffle(order)
        for task in order:
            _send(world, i, client, "claim", task)

    _run_clients(world, body)
    _assert_no_server_errors(world)
    winners: dict[str, list[str]] = defaultdict(list)
    for c in world.calls:
        if c.status == 200:
            winners[c.task].append(c.user)
    with UnitOfWork(world.svc.sessions) as uow:
        claimed = Counter(
            uow.session.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "task_claimed")).all()
        )
        assignees = {t: uow.session.get(HumanTask, t).assignee for t in tasks}  # type: ignore[union-attr]
    assert {t: len(v) for t, v in winners.items()} == dict.fromkeys(tasks, 1), winners
    assert claimed == Counter(dict.fromkeys(tasks, 1))
    assert assignees == {t: v[0] for t, v in winners.items()}
    assert sum(c.status == 409 for c in world.calls) == len(tasks) * (CLIENTS - 1)


def test_eight_clients_draft_and_complete_the_same_tasks(
    world: World,
) -> None:
    """Everyone drafts, completes and drafts again at once on every open task, twice over (register,
    then assess). One completion per task wins; the rest and every late draft get 409."""
    for _round in ("register", "assess"):
        tasks = _open_tasks(world.svc, world.instances)
        assert len(tasks) == CASES

        def body(i: int, client: httpx.Client, tasks: list[tuple[str, str]] = tasks) -> None:
            order = list(tasks)
            random.Random(i).shuffle(order)
            for n, (task, bpmn_id) in enumerate(order):
                data = _form_data(bpmn_id, world.users[i], n)
                _send(world, i, client, "draft", task, data)
                _send(world, i, client, "complete", task, data)
                _send(world, i, client, "draft", task, data)

        _run_clients(world, body)
    _assert_no_server_errors(world)
    completed = [c for c in world.calls if c.op == "complete" and c.status == 200]
    per_task = Counter(c.task for c in completed)
    assert len(per_task) == 2 * CASES and set(per_task.values()) == {1}
    assert completion_counts(world.svc) == per_task
    with UnitOfWork(world.svc.sessions) as uow:
        for c in completed:
            row = uow.session.get(HumanTask, c.task)
            assert row is not None and row.status == "completed" and row.completed_by == c.user
            assert row.draft is None, f"a draft was written onto completed task {c.task}: {row.draft}"
            instance = uow.session.get(ProcessInstance, row.instance_id)
            assert instance is not None
            stored = restore(world.svc, uow, instance).task(c.task, with_data=True).data
            assert {k: stored[k] for k in c.data or {}} == c.data  # the winner's values, whole
    report = check_consistency(world.svc)
    assert report.problems == []


def test_mixed_claim_unclaim_draft_complete_chaos(
    world: World,
) -> None:
    """Random operations by eight clients on the same three cases. Afterwards the acknowledged
    operations, replayed in audit order one at a time, must explain the final state."""

    def body(i: int, client: httpx.Client) -> None:
        rng = random.Random(1000 + i)
        for n in range(OPS_PER_CLIENT):
            tasks = _open_tasks(world.svc, world.instances)
            if not tasks:
                return
            task, bpmn_id = rng.choice(tasks)
            op = rng.choices(["claim", "unclaim", "draft", "complete"], weights=[3, 1, 3, 2])[0]
            _send(world, i, client, op, task, _form_data(bpmn_id, world.users[i], n))

    _run_clients(world, body)
    _assert_no_server_errors(world)
    acked = [c for c in world.calls if c.status == 200]
    with UnitOfWork(world.svc.sessions) as uow:
        events = uow.session.execute(
            select(AuditEvent.task_id, AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.action.in_(["task_claimed", "task_unclaimed", "task_completed"]))
            .order_by(AuditEvent.id)
        ).all()
        rows = {t.id: t for t in uow.session.scalars(select(HumanTask)).all()}
    # Replay: a claim only of a free task (or one's own), a release only by the holder, a completion
    # only of a free task or by its holder.
    holder: dict[str, str | None] = {}
    broken = []
    for task, action, actor in events:
        current = holder.get(task)
        if action == "task_claimed":
            if current not in (None, actor):
                broken.append(f"{actor} claimed {task} held by {current}")
            holder[task] = actor
        elif action == "task_unclaimed":
            holder[task] = None
        elif current not in (None, actor):
            broken.append(f"{actor} completed {task} held by {current}")
    assert broken == []
    for op, action in (("claim", "task_claimed"), ("unclaim", "task_unclaimed"), ("complete", "task_completed")):
        assert Counter(c.task for c in acked if c.op == op) == Counter(t for t, a, _ in events if a == action), op
    for task, row in rows.items():
        if row.status == "open":
            assert row.assignee == holder.get(task)
            drafts = [c.data for c in acked if c.op == "draft" and c.task == task]
            assert row.draft is None or row.draft in drafts
        else:
            assert row.draft is None
    # Finish what is left, one request at a time, and check every task was completed exactly once.
    for _ in range(2 * CASES):
        left = _open_tasks(world.svc, world.instances)
        if not left:
            break
        for task, bpmn_id in left:
            who = rows[task].assignee if task in rows and rows[task].assignee else world.users[0]
            i = world.users.index(who)
            with httpx.Client(base_url=world.base, headers=world.headers[i], timeout=60) as client:
                assert _send(world, i, client, "complete", task, _form_data(bpmn_id, who, 99)) == 200
        with UnitOfWork(world.svc.sessions) as uow:
            rows = {t.id: t for t in uow.session.scalars(select(HumanTask)).all()}
    counts = completion_counts(world.svc)
    assert len(counts) == 2 * CASES and set(counts.values()) == {1}
    report = check_consistency(world.svc)
    assert report.problems == []
