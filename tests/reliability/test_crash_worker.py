"""SIGKILL `auttamo worker` while it fires timers and while it calls a partner through the outbox.

Timers: many `timer_wait` instances are due; two workers run at once (SKIP LOCKED on PostgreSQL,
BEGIN IMMEDIATE on SQLite) and one of them is killed 20-200 ms after the work moved on, again and
again, then one worker drains the rest. Every instance's timer fired exactly once (one `timer_fired`
audit row, one open follow-up task) and every instance agrees with its inbox and audit rows.

Outbox: `return_call` instances each park a service call; the return partner is a local HTTP server
on the loopback that records every request and answers slowly, so kills land between the call and the
commit of its result. After each kill the dead worker's lease is expired (the 2-minute lease passing,
without waiting for it), so the next worker repeats the call. The partner may see a call twice, but
only ever with the same idempotency key, and each key belongs to one outbox item; each service task
completes once.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from reliability_kit import RecordingServer, check_consistency, outbox_rows
from sqlalchemy import func, select, update
from support import OWNER, files_of

from bench.load.procs import Launcher, Worker, settings_env
from config import Settings
from services.context import Services
from services.deploy import deploy
from services.instances import start_instance
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, OutboxItem, ProcessInstance, utcnow

KILLS = int(os.environ.get("AUTTAMO_CRASH_WORKER_KILLS", "10"))  # per scenario and database
TIMER_INSTANCES = 250
CALL_INSTANCES = 16


def _count(svc: Services, action: str) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)) or 0


def _wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def _worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    return settings_env(settings, AUTTAMO_SQLITE_SYNCHRONOUS="FULL", AUTTAMO_WORKER_POLL_SECONDS="0.05", **extra)


def test_killed_timer_workers_fire_each_timer_exactly_once(
    svc: Services, settings: Settings, tmp_path: Path, database_url: str
) -> None:
    deploy(svc, OWNER, files_of("timer_wait"))
    for _ in range(TIMER_INSTANCES):  # the workers run on the real clock: these are long due
        start_instance(svc, OWNER, "timer_wait", {})
    rng = random.Random(3)
    kills = 0
    workers: list[Worker] = []
    with Launcher(_worker_env(settings), forked=True) as launcher:
        try:
            live = [Worker(launcher, tmp_path / f"worker-{n}.log").start() for n in range(2)]
            workers.extend(live)
            for k in range(KILLS):
                before = _count(svc, "timer_fired")
                if before >= TIMER_INSTANCES:
                    break
                _wait_for(lambda before=before: _count(svc, "timer_fired") > before, 10)
                time.sleep(rng.uniform(0.02, 0.2))
                victim = live.pop(rng.randrange(len(live)))
                victim.kill()
                kills += 1
                live.append(Worker(launcher, tmp_path / f"worker-{k + 2}.log").start())
                workers.append(live[-1])
            drained = _wait_for(lambda: _count(svc, "timer_fired") >= TIMER_INSTANCES, 90)
            for w in live:
                w.stop()
        finally:
            for w in workers:
                w.kill()
    assert drained, f"only {_count(svc, 'timer_fired')} of {TIMER_INSTANCES} timers fired"
    assert kills >= min(KILLS, 5)
    with UnitOfWork(svc.sessions) as uow:
        fired = Counter(
            uow.session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")).all()
        )
        follow_ups = Counter(
            uow.session.scalars(
                select(HumanTask.instance_id).where(HumanTask.bpmn_id == "follow_up", HumanTask.status == "open")
            ).all()
        )
        waiting = uow.session.scalar(
            select(func.count(ProcessInstance.id)).where(ProcessInstance.next_timer_at.is_not(None))
        )
    assert len(fired) == TIMER_INSTANCES and set(fired.values()) == {1}, fired.most_common(3)
    assert len(follow_ups) == TIMER_INSTANCES and set(follow_ups.values()) == {1}
    assert waiting == 0
    report = check_consistency(svc)
    assert report.problems == []
    db = database_url.split(":")[0]
    print(f"\n[crash-worker timers {db}] kills={kills} timers={TIMER_INSTANCES} each fired once")


def _expire_dead_leases(svc: Services) -> int:
    """What two minutes would do to the lease of a killed worker: make its item due again."""
    now = utcnow()
    with UnitOfWork(svc.sessions, write=True) as uow:
        result = uow.session.execute(
            update(OutboxItem)
            .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at > now)
            .values(next_attempt_at=now - timedelta(seconds=1))
        )
        uow.commit()
        return int(getattr(result, "rowcount", 0) or 0)


def test_killed_outbox_workers_repeat_calls_only_with_the_same_key(
    svc: Services, settings: Settings, tmp_path: Path, database_url: str
) -> None:
    deploy(svc, OWNER, files_of("return_call"))
    for i in range(CALL_INSTANCES):
        start_instance(svc, OWNER, "return_call", {"case_reference": f"AUT-2026-{i:06d}", "destination": "NG"})
    rng = random.Random(5)
    kills = expired = 0
    workers: list[Worker] = []
    with RecordingServer(delay=0.08) as partner:
        env = _worker_env(settings, AUTTAMO_RETURN_PARTNER_URL=partner.url, AUTTAMO_OUTBOX_BACKOFF_SECONDS="0.05")
        with Launcher(env, forked=True) as launcher:
            try:
                for k in range(KILLS):
                    if _count(svc, "outbox_done") >= CALL_INSTANCES:
                        break
                    seen = len(partner.snapshot())
                    worker = Worker(launcher, tmp_path / f"worker-{k}.log").start()
                    workers.append(worker)
                    _wait_for(lambda seen=seen: len(partner.snapshot()) > seen, 10)
                    time.sleep(rng.uniform(0.02, 0.2))  # mid-call (the partner takes 80 ms) or just after
                    worker.kill()
                    kills += 1
                    expired += _expire_dead_leases(svc)
                final = Worker(launcher, tmp_path / "worker-final.log").start()
                workers.append(final)
                drained = _wait_for(lambda: _count(svc, "outbox_done") >= CALL_INSTANCES, 90)
                final.stop()
            finally:
                for w in workers:
                    w.kill()
        requests = partner.snapshot()
    assert drained, f"only {_count(svc, 'outbox_done')} of {CALL_INSTANCES} calls done"
    items = outbox_rows(svc)
    assert len(items) == CALL_INSTANCES and {i.status for i in items} == {"done"}
    key_of_item = {i.idempotency_key: i for i in items}
    keys_by_reference: dict[str, set[str]] = defaultdict(set)
    for r in requests:
        key = r.headers.get("idempotency-key", "")
        assert key in key_of_item, f"a call with an unknown key {key!r}"
        reference = json.loads(r.body)["case_reference"]
        assert key_of_item[key].payload["case_reference"] == reference, "one key, two different calls"
        keys_by_reference[reference].add(key)
    assert len(keys_by_reference) == CALL_INSTANCES
    assert all(len(keys) == 1 for keys in keys_by_reference.values()), "a repeated call got a new key"
    with UnitOfWork(svc.sessions) as uow:
        done = Counter(
            json.dumps(e.details["outbox_id"])
            for e in uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox_done")).all()
        )
        confirms = Counter(
            uow.session.scalars(
                select(HumanTask.instance_id).where(HumanTask.bpmn_id == "confirm", HumanTask.status == "open")
            ).all()
        )
    assert len(done) == CALL_INSTANCES and set(done.values()) == {1}
    assert len(confirms) == CALL_INSTANCES and set(confirms.values()) == {1}
    report = check_consistency(svc)
    assert report.problems == []
    repeated = len(requests) - CALL_INSTANCES
    print(
        f"\n[crash-worker outbox {database_url.split(':')[0]}] kills={kills} calls={CALL_INSTANCES} "
        f"partner requests={len(requests)} (repeated with the same key: {repeated}) leases expired={expired}"
    )
