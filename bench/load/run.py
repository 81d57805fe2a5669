"""`python -m bench.load.run [--quick]`: scale-out on one PostgreSQL.

1. Caseworker traffic (bench/load/traffic.py) against `auttamo serve` with 1 and with 2 server
   processes (a round-robin client), over `--cases` seeded cases: throughput and p50/p95/p99 of the
   inbox, the case page and task completion.
2. `--timers` due timers fired by `auttamo worker` with 1 and with 4 worker processes: time to drain.
3. The resident memory (VmRSS, and the peak VmHWM) of every server and worker process.

Every process is a real `python -m cli.main serve|worker` on the loopback; the database is a fresh
schema of AUTTAMO_BENCH_POSTGRES_URL (default: the local `test` database), dropped afterwards.
Prints Markdown tables and writes bench/results/load.json. `--quick` is the smoke run (seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.load.procs import Launcher, Server, Worker, settings_env
from bench.load.seeding import pending_timers, seed_due_timers, seed_population
from bench.load.traffic import run_traffic
from bench.stats import table
from config import Settings
from services.context import Services

PG = os.environ.get("AUTTAMO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS = Path(__file__).resolve().parent.parent / "results"


def _settings(url: str) -> Settings:
    env = {"DATABASE_URL": url, "AUTTAMO_ENV": "test", "AUTTAMO_SECRET_KEY": "bench-" + uuid.uuid4().hex * 2}
    return Settings.from_env(env)


def _memory(processes: Sequence[Server | Worker], role: str) -> list[dict[str, Any]]:
    rows = []
    for n, p in enumerate(processes):
        mem = p.memory()
        rows.append(
            {
                "process": f"{role} {n + 1}",
                "rss_mib": round(mem.get("VmRSS", 0) / 1024, 1),
                "peak_mib": round(mem.get("VmHWM", 0) / 1024, 1),
            }
        )
    return rows


def load_runs(
    svc: Services,
    *,
    cases: int,
    working_per_team: int,
    clients: int,
    seconds: float,
    servers: Sequence[int] = (1, 2),
    logs: Path,
    forked: bool = False,
) -> dict[str, Any]:
    """Traffic with 1 and 2 server processes; each run gets its own working set to complete."""
    started = time.monotonic()
    population = seed_population(svc, cases=cases, working_per_team=working_per_team * len(servers))
    seeded_s = time.monotonic() - started
    env = settings_env(svc.settings)
    out: dict[str, Any] = {
        "cases": sum(len(v) for v in population.cases_by_team.values()),
        "seed_s": round(seeded_s, 1),
    }
    rows: list[dict[str, Any]] = []
    memory: list[dict[str, Any]] = []
    with Launcher(env, forked=forked) as launcher:
        for k, n in enumerate(servers):
            share = {
                t: ids[k * working_per_team : (k + 1) * working_per_team]
                for t, ids in population.register_tasks.items()
            }
            run_population = type(population)(population.tokens, population.cases_by_team, share)
            procs = [Server(launcher, logs / f"serve-{n}-{i}.log").start() for i in range(n)]
            try:
                for p in procs:
                    p.wait_ready()
                result = run_traffic(
                    [p.url for p in procs], run_population, clients=clients, seconds=seconds, seed=k + 1
                )
                label = f"{n} server process{'es' if n > 1 else ''}"
                rows += result.rows(label)
                memory += [{**m, "setup": label} for m in _memory(procs, "serve")]
                out[label] = {"statuses": dict(result.statuses), "errors": result.errors[:20]}
            finally:
                for p in procs:
                    p.stop()
    out["traffic"] = rows
    out["memory"] = memory
    return out


def timer_runs(
    svc: Services, *, timers: int, workers: Sequence[int] = (1, 4), logs: Path, forked: bool = False
) -> dict[str, Any]:
    """`timers` due timers drained by 1 and by 4 worker processes (fresh timers for each run). The
    drain is timed from the first fired timer, so process start-up is reported apart."""
    env = settings_env(svc.settings, AUTTAMO_WORKER_POLL_SECONDS="0.2")
    rows: list[dict[str, Any]] = []
    memory: list[dict[str, Any]] = []
    with Launcher(env, forked=forked) as launcher:
        for n in workers:
            seed_due_timers(svc, timers)
            assert pending_timers(svc) == timers
            procs = [Worker(launcher, logs / f"worker-{n}-{i}.log").start() for i in range(n)]
            started = time.monotonic()
            first: float | None = None
            peak: dict[int, dict[str, int]] = {}
            try:
                deadline = started + max(600.0, timers / 2)
                while (left := pending_timers(svc)) > 0 and time.monotonic() < deadline:
                    if first is None and left < timers:
                        first = time.monotonic()
                    for i, p in enumerate(procs):
                        peak[i] = p.memory() or peak.get(i, {})
                    time.sleep(0.05)
                done = time.monotonic()
            finally:
                for p in procs:
                    p.stop()
            first = first or done
            label = f"{n} worker process{'es' if n > 1 else ''}"
            rows.append(
                {
                    "setup": label,
                    "timers": timers - left,
                    "start_s": round(first - started, 1),
                    "drain_s": round(done - first, 1),
                    "timers_per_s": round((timers - left) / max(done - first, 1e-3), 1),
                }
            )
            memory += [
                {
                    "process": f"worker {i + 1}",
                    "rss_mib": round(m.get("VmRSS", 0) / 1024, 1),
                    "peak_mib": round(m.get("VmHWM", 0) / 1024, 1),
                    "setup": label,
                }
                for i, m in sorted(peak.items())
            ]
    return {"timers": rows, "memory": memory}


def _fresh_schema() -> tuple[str, str]:
    schema = f"auttamo_load_{uuid.uuid4().hex[:8]}"
    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def _drop(schema: str) -> None:
    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def run(
    url: str,
    *,
    cases: int,
    working_per_team: int,
    clients: int,
    seconds: float,
    timers: int,
    logs: Path,
) -> dict[str, Any]:
    from cli.main import migrate_database

    settings = _settings(url)
    migrate_database(settings)
    svc = Services.build(settings)
    try:
        results = load_runs(
            svc, cases=cases, working_per_team=working_per_team, clients=clients, seconds=seconds, logs=logs
        )
        results["workers"] = timer_runs(svc, timers=timers, logs=logs)
    finally:
        svc.close()
    results["config"] = {
        "cases": cases,
        "clients": clients,
        "seconds": seconds,
        "timers": timers,
        "cpus": os.cpu_count(),
    }
    return results


def report(results: dict[str, Any]) -> str:
    parts = [
        f"Caseworker traffic over {results['cases']} cases, {results['config']['clients']} clients, "
        f"{results['config']['seconds']} s per setup:",
        table(results["traffic"]),
        "",
        f"{results['config']['timers']} due timers:",
        table(results["workers"]["timers"]),
        "",
        "Memory:",
        table(results["memory"] + results["workers"]["memory"]),
    ]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, a few seconds")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--working", type=int, default=100, help="cases per team to complete, per setup")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--timers", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.quick:
        args.cases, args.working, args.clients, args.seconds, args.timers = 500, 5, 4, 3.0, 200
    url, schema = _fresh_schema()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = run(
                url,
                cases=args.cases,
                working_per_team=args.working,
                clients=args.clients,
                seconds=args.seconds,
                timers=args.timers,
                logs=Path(tmp),
            )
    finally:
        _drop(schema)
    print(report(results))
    RESULTS.mkdir(exist_ok=True)
    name = "load-quick.json" if args.quick else "load.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
