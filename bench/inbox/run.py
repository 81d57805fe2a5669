"""`python -m bench.inbox.run [--quick] [--keep]`: the inbox with 100,000 instances and 1,000,000 task rows.

For SQLite (a file under var/) and PostgreSQL (a fresh schema in the `test` database; override with
AUTTAMO_BENCH_POSTGRES_URL): migrate, deploy three_user_tasks, bulk-seed with bench/seed.py (20 teams,
about 1 task in 10 open, 30 % of the open ones claimed), ANALYZE, then serve the app in a subprocess
and time, as the caseworker `bench_cw_0` of team 0, one client with keep-alive:

- `GET /inbox` (the page; its default view, "my tasks") and `GET /inbox?view=team`, signed in;
- `GET /api/v1/tasks?scope=team` and `?scope=mine`, with a bearer token;

first page (50 rows), p50/p95 over `--requests` each after a warm-up. The plans of the inbox's two
statements (the page and its count) are written next to the figures (EXPLAIN / EXPLAIN QUERY PLAN).
Results: bench/results/inbox.json. `--keep` keeps the seeded databases and reuses them next time.

`--jit` turns PostgreSQL's JIT compilation back on for the server's connections (store.db turns it
off), to show what that is worth. The machine's load average is recorded with the figures, because a
loaded machine shows in every percentile.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from bench.engine_bench import THREE_USER_TASKS, build, files
from bench.http.server import Server, drop_pg_schema, live_server, pg_schema_url
from bench.seed import seed
from bench.stats import Samples, table
from services.context import Actor, Services
from services.deploy import deploy
from services.inbox import InboxQuery, inbox_statements
from services.instances import start_instance
from services.uow import UnitOfWork
from services.users import actor_of, hash_password, issue_token
from store.models import Case, HumanTask, ProcessInstance, User

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
RESULTS = ROOT / "bench" / "results"
OWNER = Actor("bench-owner", frozenset({"process_owner"}))
USER = "bench_cw_0"  # seed.py: the caseworker of "bench team 0"
PASSWORD = "bench inbox password"
TARGET_P95_MS = 50.0
_CSRF = re.compile(r'name="__csrf" value="([^"]+)"')

CALLS = (
    ("GET /inbox (page, my tasks)", "page", "/inbox"),
    ("GET /inbox?view=team (page)", "page", "/inbox?view=team"),
    ("GET /api/v1/tasks?scope=team", "api", "/api/v1/tasks?scope=team"),
    ("GET /api/v1/tasks?scope=mine", "api", "/api/v1/tasks?scope=mine"),
)


def _seeded(db: Engine, tasks: int) -> bool:
    with db.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(HumanTask)) or 0) >= tasks


def prepare(svc: Services, instances: int, per_instance: int) -> dict[str, Any]:
    """Deploy, bulk-seed and ANALYZE unless an earlier --keep run left the same data; returns counts."""
    started = time.perf_counter()
    if not _seeded(svc.db, instances * per_instance):
        deploy(svc, OWNER, files(THREE_USER_TASKS))
        # One real instance for a real state document; on a case of its own, because seed.py gives
        # each bulk instance the id of its case and starts after the highest case id.
        with UnitOfWork(svc.sessions, write=True) as uow:
            case = Case(reference="BENCH-REAL", status="open", facts={}, opened_at=svc.now())
            uow.session.add(case)
            uow.commit()
            case_id = case.id
        info = start_instance(svc, OWNER, THREE_USER_TASKS.process_id, {}, case_id=case_id)
        with UnitOfWork(svc.sessions) as uow:
            row = uow.session.get(ProcessInstance, info.id)
            assert row is not None
            version_id, state_json = row.version_id, row.state_json
        seed(svc.db, instances=instances, tasks_per_instance=per_instance, version_id=version_id, state_json=state_json)
        with UnitOfWork(svc.sessions, write=True) as uow:
            uow.session.execute(update(User).where(User.username == USER).values(password_hash=hash_password(PASSWORD)))
            uow.commit()
    seeded_s = time.perf_counter() - started
    # PostgreSQL's autovacuum would do this soon after a bulk load. On SQLite, ANALYZE must be
    # committed (store.db begins every transaction itself, AUTOCOMMIT or not); the inbox's plan does
    # not depend on it (tests/services/test_inbox_plan.py), but other queries' may.
    if svc.db.dialect.name == "postgresql":
        with svc.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with svc.db.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    with svc.db.connect() as conn:
        counts = {
            "instances": conn.scalar(select(func.count()).select_from(ProcessInstance)),
            "task_rows": conn.scalar(select(func.count()).select_from(HumanTask)),
            "open_tasks": conn.scalar(select(func.count()).where(HumanTask.status == "open")),
            "mine_open": conn.scalar(
                select(func.count()).where(HumanTask.status == "open", HumanTask.assignee == USER)
            ),
        }
    return {**counts, "seed_seconds": round(seeded_s, 1)}


def actor_of_user(svc: Services) -> Actor:
    with UnitOfWork(svc.sessions) as uow:
        return actor_of(uow.session.scalars(select(User).where(User.username == USER)).one())


def explain(svc: Services, *, jit: bool) -> dict[str, list[str]]:
    """The plans of the inbox statements the timed calls run (page + count, per scope)."""
    actor = actor_of_user(svc)
    dialect = postgresql.dialect() if svc.db.dialect.name == "postgresql" else sqlite.dialect()
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if svc.db.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    plans: dict[str, list[str]] = {}
    for scope in ("team", "mine"):
        page, count = inbox_statements(actor, InboxQuery(scope=scope), svc.now())  # type: ignore[arg-type]
        for name, stmt in (("page", page), ("count", count)):
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            with svc.db.connect() as conn:
                if svc.db.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SET jit = {'on' if jit else 'off'}")
                rows = conn.exec_driver_sql(prefix + sql).all()
            plans[f"{scope}/{name}"] = [" ".join(str(c) for c in r) for r in rows]
            plans[f"{scope}/{name}/sql"] = [sql]
    return plans


def sign_in(client: httpx.Client) -> None:
    found = _CSRF.search(client.get("/login").text)
    assert found, "no CSRF token on the sign-in page"
    data = {"username": USER, "password": PASSWORD, "__csrf": found.group(1), "next": ""}
    r = client.post("/login", data=data)
    assert r.status_code == 303, f"sign-in failed: {r.status_code}"


def measure(server: Server, token: str, requests: int, warmup: int) -> list[tuple[Samples, float]]:
    """(latencies, server CPU ms per request) for each call."""
    results = []
    base = server.base
    with (
        httpx.Client(base_url=base, timeout=60) as page_client,
        httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as api_client,
    ):
        sign_in(page_client)
        for name, kind, path in CALLS:
            client = page_client if kind == "page" else api_client
            samples = Samples(name)
            cpu = 0.0
            for i in range(warmup + requests):
                if i == warmup:
                    cpu = server.cpu_seconds()
                start = time.perf_counter_ns()
                r = client.get(path)
                elapsed = (time.perf_counter_ns() - start) / 1e6
                assert r.status_code == 200, f"{path}: {r.status_code}"
                if i >= warmup:
                    samples.ms.append(elapsed)
            cpu_ms = round((server.cpu_seconds() - cpu) * 1000 / requests, 2)
            if kind == "api":
                samples.name += f" (total {r.headers['x-total-count']})"
            results.append((samples, cpu_ms))
    return results


def run_db(db: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    svc = build(url)
    try:
        counts = prepare(svc, args.instances, args.tasks_per_instance)
        token = issue_token(svc, USER)
        plans = explain(svc, jit=args.jit)
    finally:
        svc.close()
    if db == "postgresql" and args.jit:
        url = url.replace("options=", "options=-cjit%3Don%20")  # store.db leaves an explicit jit setting alone
    load_before = os.getloadavg()
    with live_server(url) as server:
        samples = measure(server, token, args.requests, args.warmup)
    return {
        "settings": {"jit": db == "postgresql" and args.jit},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "data": counts,
        "calls": {
            s.name: {**s.summary(), "server_cpu_ms_per_request": cpu_ms, "meets_p95_target": s.p95 <= TARGET_P95_MS}
            for s, cpu_ms in samples
        },
        "plans": plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 instances, 40 requests: a smoke run")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--tasks-per-instance", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the seeded databases")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--jit", action="store_true", help="PostgreSQL: JIT on for the server's connections")
    args = parser.parse_args()
    if args.quick:
        args.instances, args.requests, args.warmup = 10_000, 40, 5
    VAR.mkdir(exist_ok=True)
    results: dict[str, Any] = {"instances": args.instances, "task_rows": args.instances * args.tasks_per_instance}
    if args.db in ("sqlite", "both"):
        path = VAR / f"bench-inbox-{args.instances}.sqlite3"
        try:
            results["sqlite"] = run_db("sqlite", f"sqlite:///{path}", args)
        finally:
            if not args.keep:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
    if args.db in ("postgresql", "both"):
        url, schema = pg_schema_url(f"auttamo_bench_inbox_{args.instances}" if args.keep else None)
        try:
            results["postgresql"] = run_db("postgresql", url, args)
        finally:
            if not args.keep:
                drop_pg_schema(schema)
    rows = [
        {"db": db, **call} for db in ("sqlite", "postgresql") if db in results for call in results[db]["calls"].values()
    ]
    keys = ("db", "name", "n", "median_ms", "p95_ms", "server_cpu_ms_per_request", "meets_p95_target")
    print(table([{k: r[k] for k in keys} for r in rows]))
    RESULTS.mkdir(exist_ok=True)
    variant = "-jit" if args.jit else ""
    variant += "" if args.db == "both" else f"-{args.db}"
    out = RESULTS / f"inbox{'-quick' if args.quick else ''}{variant}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nplans and figures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
