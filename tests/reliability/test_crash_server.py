"""SIGKILL `auttamo serve` in the middle of task completions, again and again, on a SQLite file and on
PostgreSQL; then prove nothing was half-written, nothing acknowledged was lost, and every completion
whose answer never came can simply be sent again.

The server is the real command (`python -m cli.main serve`, configuration from the environment).
A standby process starts while the active one serves, so a kill costs little start-up time: the
clients switch to the standby, and a new standby starts. Most processes are forked from a launcher
that imported the app once (bench/load/zygote.py); every tenth, and the first, is a cold
`python -m cli.main serve`. Two client threads complete tasks all the
time; a kill lands 20-200 ms after the previous server took over, usually inside a request.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from reliability_kit import check_consistency, completion_counts
from sqlalchemy import select, text
from support_api import case_with_flow, deploy_case_flow, user

from bench.load.procs import Launcher, Server, settings_env
from config import Settings
from services.context import Services
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import HumanTask, ProcessInstance

KILLS = int(os.environ.get("AUTTAMO_CRASH_KILLS", "25"))  # per database; 50 in all per run
CASES = 150
CLIENTS = 2
COLD_EVERY = 13  # the first server and every 13th restart start cold
USER = "crashtest"


@dataclass
class Ledger:
    """What the clients know: acknowledged completions, and those whose answer never came."""

    acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    unacked: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    connect_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _data(bpmn_id: str, task_id: str) -> dict[str, Any]:
    if bpmn_id == "register":
        return {"client_name": f"client {task_id[:8]}", "received_on": "2026-03-01"}
    return {"risk_level": 3, "notes": f"assessed {task_id[:8]}"}


def _open(svc: Services, parity: int, skip: set[str]) -> list[tuple[str, str]]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.execute(
            select(HumanTask.id, HumanTask.bpmn_id, HumanTask.instance_id).where(HumanTask.status == "open")
        ).all()
    return [(r[0], r[1]) for r in rows if r[2] % CLIENTS == parity and r[0] not in skip]


def _client_loop(
    svc: Services, parity: int, url: list[str], headers: dict[str, str], ledger: Ledger, stop: threading.Event
) -> None:
    rng = random.Random(parity)
    with httpx.Client(headers=headers, timeout=httpx.Timeout(10.0, connect=1.0)) as client:
        while not stop.is_set():
            with ledger.lock:
                skip = set(ledger.acked) | set(ledger.unacked)
            tasks = _open(svc, parity, skip)
            if not tasks:
                time.sleep(0.1)
                continue
            task, bpmn_id = rng.choice(tasks)
            data = _data(bpmn_id, task)
            try:
                r = client.post(f"{url[0]}/api/v1/tasks/{task}/complete", json={"data": data})
            except httpx.ConnectError:
                with ledger.lock:
                    ledger.connect_errors += 1  # never reached a server: nothing to doubt
                time.sleep(0.05)
                continue
            except httpx.HTTPError:
                with ledger.lock:
                    ledger.unacked[task] = data  # sent, answer lost: committed or not, we cannot know
                continue
            with ledger.lock:
                if r.status_code == 200:
                    ledger.acked[task] = data
                else:
                    ledger.refused.append((task, r.status_code, r.text))


def _prepare(svc: Services) -> dict[str, str]:
    deploy_case_flow(svc)
    headers = user(svc, USER, ["intake", "caseworker"], team="A")
    for i in range(CASES):
        case_with_flow(svc, "A", reference=f"AUT-2026-{i + 1:06d}")
    return headers


def test_server_killed_mid_completion_loses_nothing(
    svc: Services, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    t_start = time.monotonic()
    headers = _prepare(svc)
    t_prepared = time.monotonic()
    env = settings_env(settings, AUTTAMO_SQLITE_SYNCHRONOUS="FULL")
    logs = tmp_path / "logs"
    ledger = Ledger()
    stop = threading.Event()
    rng = random.Random(7)
    kills = cold_starts = 0
    restart_seconds: list[float] = []
    started: list[Server] = []

    def spawn(launcher: Launcher) -> Server:
        started.append(Server(launcher, logs / f"server-{len(started)}.log").start())
        return started[-1]

    with Launcher(env) as cold, Launcher(env, forked=True) as forked:
        active = spawn(cold).wait_ready()
        cold_starts += 1
        standby = spawn(forked)
        url = [active.url]
        clients = [
            threading.Thread(target=_client_loop, args=(svc, p, url, headers, ledger, stop), daemon=True)
            for p in range(CLIENTS)
        ]
        for t in clients:
            t.start()
        try:
            for k in range(KILLS):
                # Let the server finish one more completion (a fresh one also warms up on it), then
                # kill it 20-200 ms later: in the middle of a request most of the time.
                seen = len(ledger.acked) + len(ledger.unacked)
                deadline = time.monotonic() + 10
                while len(ledger.acked) + len(ledger.unacked) == seen and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.02, 0.2))
                active.kill()
                kills += 1
                t0 = time.monotonic()
                active = standby.wait_ready()
                url[0] = active.url
                restart_seconds.append(time.monotonic() - t0)
                # The next standby; every COLD_EVERY-th one is a cold `python -m cli.main serve`.
                launcher = cold if (k + 2) % COLD_EVERY == 0 else forked
                cold_starts += launcher is cold
                standby = spawn(launcher)
        except BaseException:
            for server in started:
                server.kill()
            raise
        finally:
            stop.set()
            for t in clients:
                t.join(timeout=30)
        t_loop = time.monotonic()
        try:
            # Every completion whose answer was lost can simply be sent again: it either succeeds now,
            # or is refused with 409 because the lost attempt had in fact committed.
            retried: dict[str, int] = {}
            with httpx.Client(headers=headers, timeout=30) as client:
                for task, data in ledger.unacked.items():
                    r = client.post(f"{active.url}/api/v1/tasks/{task}/complete", json={"data": data})
                    retried[task] = r.status_code
                    assert r.status_code in (200, 409), (task, r.status_code, r.text)
        finally:
            for server in started:
                server.kill()

    t_retried = time.monotonic()
    assert kills >= KILLS
    assert ledger.refused == [], ledger.refused[:5]
    assert len(ledger.acked) > KILLS, f"too little work between kills: {len(ledger.acked)} completions"
    counts = completion_counts(svc)
    with UnitOfWork(svc.sessions) as uow:
        for task, data in {**ledger.acked, **ledger.unacked}.items():
            row = uow.session.get(HumanTask, task)
            assert row is not None and row.status == "completed" and row.completed_by == USER, task
            assert counts[task] == 1, (task, counts[task])
            instance = uow.session.get(ProcessInstance, row.instance_id)
            assert instance is not None
            stored = restore(svc, uow, instance).task(task, with_data=True).data
            assert {k: stored.get(k) for k in data} == data, task
        if database_url.startswith("sqlite"):
            assert uow.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    report = check_consistency(svc)
    assert report.problems == []
    assert report.instances == CASES
    assert set(counts.values()) == {1}
    print(
        f"\n[timing] prepare {t_prepared - t_start:.1f}s loop {t_loop - t_prepared:.1f}s "
        f"retry {t_retried - t_loop:.1f}s verify {time.monotonic() - t_retried:.1f}s"
    )
    print(
        f"\n[crash-server {database_url.split(':')[0]}] kills={kills} acked={len(ledger.acked)} "
        f"unacked={len(ledger.unacked)} (retried: {sum(v == 200 for v in retried.values())} x 200, "
        f"{sum(v == 409 for v in retried.values())} x 409 already committed) connect_errors={ledger.connect_errors} "
        f"cold starts={cold_starts} restart max {max(restart_seconds):.2f}s "
        f"mean {sum(restart_seconds) / len(restart_seconds):.2f}s"
    )
