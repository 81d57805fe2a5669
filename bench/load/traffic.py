"""Caseworker traffic against one or more `auttamo serve` processes (round-robin), bounded in time and
in requests, loopback only.

Each client thread is one caseworker (bench_cw_<team>, roles caseworker + intake) with a keep-alive
connection per server. A caseworker's step is picked at random with these weights:
- inbox (50%): GET /api/v1/tasks?scope=team&per_page=50, their team's open work;
- case page (35%): GET /api/v1/cases/{id} of a random case of their team (a logged read, so a write);
- task completion (15%): POST /api/v1/tasks/{id}/complete on the team's working set: `register`,
  then the `assess` task it opened (the answer names it), so each working case is completed twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.load.seeding import Population
from bench.stats import Samples

KINDS = ("inbox", "case", "complete")
WEIGHTS = (50, 35, 15)
REGISTER = {"client_name": "Load Test", "received_on": "2026-03-01", "urgent": False}
ASSESS = {"risk_level": 2, "notes": "assessed under load"}


@dataclass
class TrafficResult:
    seconds: float
    samples: dict[str, Samples]
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(s.ms) for s in self.samples.values())

    def rows(self, label: str) -> list[dict[str, Any]]:
        out = []
        for kind in KINDS:
            s = self.samples[kind]
            if not s.ms:
                continue
            out.append(
                {
                    "setup": label,
                    "kind": kind,
                    "requests": len(s.ms),
                    "per_s": round(len(s.ms) / self.seconds, 1),
                    "p50_ms": round(s.median, 1),
                    "p95_ms": round(s.p95, 1),
                    "p99_ms": round(s.p99, 1),
                }
            )
        out.append(
            {
                "setup": label,
                "kind": "all",
                "requests": self.requests,
                "per_s": round(self.requests / self.seconds, 1),
                "p50_ms": "",
                "p95_ms": "",
                "p99_ms": "",
            }
        )
        return out


class _Queue:
    """The team's completable tasks: `register` ids first, then the `assess` ids they open."""

    def __init__(self, ids: list[str]) -> None:
        self.register = list(ids)
        self.assess: list[str] = []
        self.lock = threading.Lock()

    def take(self) -> tuple[str, dict[str, Any]] | None:
        with self.lock:
            if self.assess:
                return self.assess.pop(), ASSESS
            if self.register:
                return self.register.pop(), REGISTER
            return None

    def opened(self, ids: Sequence[str]) -> None:
        with self.lock:
            self.assess.extend(ids)


def run_traffic(
    urls: Sequence[str],
    population: Population,
    *,
    clients: int,
    seconds: float,
    max_requests: int = 1_000_000,
    seed: int = 1,
) -> TrafficResult:
    teams = sorted(population.tokens)
    queues = {n: _Queue(population.register_tasks.get(n, [])) for n in teams}
    samples = {kind: Samples(kind) for kind in KINDS}
    result = TrafficResult(seconds, samples)
    lock = threading.Lock()
    sent = [0]
    deadline = time.monotonic() + seconds

    def caseworker(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        team = teams[i % len(teams)]
        headers = {"Authorization": f"Bearer {population.tokens[team]}"}
        cases = population.cases_by_team[team]
        sessions = [httpx.Client(base_url=u, headers=headers, timeout=60) for u in urls]
        turn = i
        try:
            while time.monotonic() < deadline:
                with lock:
                    if sent[0] >= max_requests:
                        return
                    sent[0] += 1
                kind = rng.choices(KINDS, weights=WEIGHTS)[0]
                task: tuple[str, dict[str, Any]] | None = None
                if kind == "complete":
                    task = queues[team].take()
                    if task is None:
                        kind = "inbox"
                client = sessions[turn % len(sessions)]
                turn += 1
                started = time.perf_counter_ns()
                try:
                    if kind == "inbox":
                        r = client.get("/api/v1/tasks", params={"scope": "team", "per_page": 50})
                    elif kind == "case":
                        r = client.get(f"/api/v1/cases/{rng.choice(cases)}")
                    else:
                        assert task is not None
                        r = client.post(f"/api/v1/tasks/{task[0]}/complete", json={"data": task[1]})
                except httpx.HTTPError as exc:
                    with lock:
                        result.errors.append(f"{kind}: {exc.__class__.__name__}: {exc}")
                    continue
                elapsed = (time.perf_counter_ns() - started) / 1e6
                with lock:
                    samples[kind].ms.append(elapsed)
                    result.statuses[f"{kind} {r.status_code}"] += 1
                if kind == "complete" and r.status_code == 200:
                    queues[team].opened(r.json().get("next_task_ids") or [])
                elif r.status_code >= 400:
                    with lock:
                        result.errors.append(f"{kind} {r.status_code}: {r.text[:200]}")
        finally:
            for s in sessions:
                s.close()

    threads = [threading.Thread(target=caseworker, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    result.seconds = max(time.monotonic() - started, 1e-3)
    return result
