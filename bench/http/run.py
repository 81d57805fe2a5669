"""`python -m bench.http.run [--quick] [--profile]`: the standard three-task scenario over HTTP.

The model is bench/workloads/three_user_tasks (three sequential Caseworker user tasks, a one-field
form each). One run, with one httpx.Client per user and keep-alive, against the app served in a
subprocess (bench/http/server.py):

1. `POST /api/v1/process-instances` {"process": "three_user_tasks"} with the process owner's token;
2. for each task: `GET /api/v1/tasks?scope=team&process=three_user_tasks&sort=created&order=desc`
   as a caseworker (the instance's task is the newest row), then
   `POST /api/v1/tasks/{id}/complete` {"data": {"fieldN": "x"}}.

Median and p95 per call kind, and full instances per second over 60 s (`--quick`: 5 s), on SQLite
(a file under var/, synchronous=FULL as in production) and PostgreSQL (a fresh schema in `test`).
Results: bench/results/http.json.

`--profile` runs the same loop against an in-process uvicorn under cProfile (every thread: the event
loop and the worker threads the endpoints run in) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.engine_bench import THREE_USER_TASKS, build, files
from bench.http.server import SECRET, drop_pg_schema, free_port, live_server, pg_schema_url
from bench.stats import Samples, table
from services.context import Actor
from services.deploy import deploy
from services.users import add_user, issue_token

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
RESULTS = ROOT / "bench" / "results"
PROCESS = THREE_USER_TASKS.process_id
LOOKUP = f"/api/v1/tasks?scope=team&process={PROCESS}&sort=created&order=desc&per_page=5"
TARGET_COMPLETE_MEDIAN_MS = 5.0
TARGET_INSTANCES_PER_S = 50.0


class Scenario:
    """One client per user (keep-alive), the three call kinds timed separately."""

    def __init__(self, base: str, owner_token: str, worker_token: str) -> None:
        self.owner = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {owner_token}"}, timeout=30)
        self.worker = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {worker_token}"}, timeout=30)
        self.start = Samples("POST /process-instances")
        self.lookup = Samples("GET /tasks (lookup)")
        self.complete = Samples("POST /tasks/{id}/complete")

    def close(self) -> None:
        self.owner.close()
        self.worker.close()

    def _timed(self, samples: Samples | None, call: Callable[[], httpx.Response]) -> httpx.Response:
        start = time.perf_counter_ns()
        response = call()
        if samples is not None:
            samples.ms.append((time.perf_counter_ns() - start) / 1e6)
        return response

    def one_instance(self, *, timed: bool = True) -> None:
        r = self._timed(
            self.start if timed else None,
            lambda: self.owner.post("/api/v1/process-instances", json={"process": PROCESS}),
        )
        assert r.status_code == 201, f"start: {r.status_code} {r.text[:200]}"
        for n in (1, 2, 3):
            r = self._timed(self.lookup if timed else None, lambda: self.worker.get(LOOKUP))
            assert r.status_code == 200, f"lookup: {r.status_code} {r.text[:200]}"
            row = r.json()[0]
            assert row["name"] == f"ut{n}", f"expected ut{n}, found {row['name']}"
            body = {"data": {f"field{n}": "x"}}
            r = self._timed(
                self.complete if timed else None,
                lambda row=row, body=body: self.worker.post(f"/api/v1/tasks/{row['id']}/complete", json=body),
            )
            assert r.status_code == 200, f"complete: {r.status_code} {r.text[:200]}"

    def sustained(self, seconds: float) -> dict[str, float]:
        """Full instances per second, start + three lookups + three completions each."""
        done = 0
        begin = time.perf_counter()
        end = begin + seconds
        while time.perf_counter() < end:
            self.one_instance()
            done += 1
        elapsed = time.perf_counter() - begin
        return {"seconds": round(elapsed, 2), "instances": done, "instances_per_s": round(done / elapsed, 1)}


def prepare(url: str) -> tuple[str, str]:
    """Migrate, deploy the model, and make the two users; returns (owner token, caseworker token)."""
    svc = build(url)
    try:
        deploy(svc, Actor("bench-owner", frozenset({"process_owner"})), files(THREE_USER_TASKS))
        add_user(svc, "bench-owner", ["process_owner"], password=None)
        add_user(svc, "bench-caseworker", ["caseworker"], password=None)
        return issue_token(svc, "bench-owner"), issue_token(svc, "bench-caseworker")
    finally:
        svc.close()


def run_db(url: str, seconds: float, warmup: int) -> dict[str, Any]:
    owner, worker = prepare(url)
    load_before = os.getloadavg()
    with live_server(url) as server:
        scenario = Scenario(server.base, owner, worker)
        try:
            for _ in range(warmup):
                scenario.one_instance(timed=False)
            cpu = server.cpu_seconds()
            rate = scenario.sustained(seconds)
            rate["server_cpu_ms_per_instance"] = round((server.cpu_seconds() - cpu) * 1000 / rate["instances"], 2)
        finally:
            scenario.close()
    complete = scenario.complete
    return {
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "calls": {s.name: s.summary() for s in (scenario.start, scenario.lookup, scenario.complete)},
        "sustained": rate,
        "targets": {
            "complete_median_ms<=5": complete.median <= TARGET_COMPLETE_MEDIAN_MS,
            "instances_per_s>=50": rate["instances_per_s"] >= TARGET_INSTANCES_PER_S,
        },
    }


def profile(url: str, seconds: float, top: int) -> str:
    """The scenario against an in-process uvicorn, every thread profiled; the top functions by time."""
    import uvicorn

    from config import Settings
    from web.app import create_app

    owner, worker = prepare(url)
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_profiling(*_args: object) -> None:  # first event in each new thread: profile it from here on
        prof = cProfile.Profile()
        with lock:
            profiles.append(prof)
        prof.enable()

    env = {**os.environ, "DATABASE_URL": url, "AUTTAMO_ENV": "development", "AUTTAMO_SECRET_KEY": SECRET}
    app = create_app(Settings.from_env(env))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.setprofile(start_profiling)  # every thread started from now on: the server's and its workers
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    scenario = Scenario(f"http://127.0.0.1:{port}", owner, worker)
    try:
        for _ in range(10):
            scenario.one_instance(timed=False)
        rate = scenario.sustained(seconds)
    finally:
        scenario.close()
        server.should_exit = True
        thread.join(timeout=10)
        threading.setprofile(None)  # type: ignore[arg-type]
    out = io.StringIO()
    stats = pstats.Stats(*profiles, stream=out)  # type: ignore[arg-type]
    out.write(f"{rate['instances']} instances in {rate['seconds']} s ({rate['instances_per_s']}/s) under cProfile\n")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s per database instead of 60")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=int, default=20, help="instances run before timing")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile an in-process server instead")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    seconds = 5.0 if args.quick else args.seconds
    warmup = 5 if args.quick else args.warmup
    VAR.mkdir(exist_ok=True)
    results: dict[str, Any] = {"scenario": "three_user_tasks over HTTP, one client, keep-alive"}
    # on the project's disk, not /tmp: a durable commit must reach a real file system
    with tempfile.TemporaryDirectory(dir=VAR, prefix="bench-http-") as tmp:
        for db in ("sqlite", "postgresql"):
            if args.db not in (db, "both"):
                continue
            schema = None
            url = f"sqlite:///{tmp}/bench-{db}.sqlite3"
            if db == "postgresql":
                url, schema = pg_schema_url()
            try:
                if args.profile:
                    text = profile(url, seconds, args.top)
                    print(f"=== {db} ===\n{text}")
                    results[db] = {"profile": text}
                else:
                    results[db] = run_db(url, seconds, warmup)
            finally:
                if schema is not None:
                    drop_pg_schema(schema)
    if not args.profile:
        rows = [
            {"db": db, **call}
            for db in ("sqlite", "postgresql")
            if db in results
            for call in results[db]["calls"].values()
        ]
        print(table(rows))
        for db in ("sqlite", "postgresql"):
            if db in results:
                print(f"{db}: {results[db]['sustained']} targets {results[db]['targets']}")
    RESULTS.mkdir(exist_ok=True)
    name = "http-profile" if args.profile else ("http-quick" if args.quick else "http")
    name += "" if args.db == "both" else f"-{args.db}"
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
