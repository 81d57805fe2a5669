"""`python -m bench.dashboard.run [--quick] [--keep] [--db sqlite|postgresql|both]`: the supervisor's
monitoring dashboard over 100,000 instances and the annual statistics over 100,000 cases.

For SQLite (a file under var/) and PostgreSQL (a fresh schema in the `test` database; override with
AUTTAMO_BENCH_POSTGRES_URL): migrate, deploy three_user_tasks, bulk-seed bench/seed.py's cases,
instances and task rows (3 per instance, about 9 in 10 instances with one open task), then vary them
(bench/dashboard/seed.py: statuses, active elements, waiting timers, ~1 KB of case facts per case, one
case in five with a recorded deadline, incidents) and add 100,000 anonymous statistics records over
six years (decisions, forms of exploitation). Case facts are sealed at rest, as in production. ANALYZE,
then time in-process, warm:

- `dashboard()` (every panel's SQL) and `GET /monitoring` (the page, rendered, through the app);
- `list_instances()` first page and `list_deadlines(30 days)`;
- `annual_statistics(year)`, `annual_statistics(year, publish=True)` and `GET /statistics/{year}`
  (the report page: tables and SVG charts).

Target: each ≤ 1 s (median and p95). Results: bench/results/dashboard.json (or dashboard-quick.json).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from bench.dashboard.seed import enrich, seed_statistics
from bench.engine_bench import THREE_USER_TASKS, files
from bench.seed import seed
from bench.stats import Samples, table
from cli.main import migrate_database
from config import Settings
from services.context import Actor, Services
from services.deadlines import list_deadlines
from services.deploy import deploy
from services.instances import start_instance
from services.monitoring import dashboard
from services.monitoring_list import InstanceQuery, list_instances
from services.statistics import annual_statistics
from services.uow import UnitOfWork
from services.users import add_user
from store.crypto import generate_key
from store.models import Case, ProcessInstance, StatRecord
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("AUTTAMO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
OWNER = Actor("bench-owner", frozenset({"process_owner"}))
SUPERVISOR = Actor("bench_sup", frozenset({"supervisor"}))
PASSWORD = "bench dashboard password"
TARGET_MS = 1000.0
_CSRF = re.compile(r'name="__csrf" value="([^"]+)"')


def _pg_url(name: str | None) -> tuple[str, str]:
    schema = name or f"auttamo_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    engine.dispose()
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def _drop(schema: str) -> None:
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def prepare(svc: Services, instances: int, records: int, year: int) -> dict[str, Any]:
    """Deploy and seed unless an earlier --keep run left the data; ANALYZE; returns counts."""
    started = time.perf_counter()
    with svc.db.connect() as conn:
        seeded = (conn.scalar(select(func.count()).select_from(ProcessInstance)) or 0) >= instances
    if not seeded:
        deploy(svc, OWNER, files(THREE_USER_TASKS))
        with UnitOfWork(svc.sessions, write=True) as uow:  # one real instance, for a real state document
            case = Case(reference="BENCH-REAL", status="open", facts={}, opened_at=svc.now())
            uow.session.add(case)
            uow.commit()
            case_id = case.id
        info = start_instance(svc, OWNER, THREE_USER_TASKS.process_id, {}, case_id=case_id)
        with UnitOfWork(svc.sessions) as uow:
            row = uow.session.get(ProcessInstance, info.id)
            assert row is not None
            version_id, state_json = row.version_id, row.state_json
        seed(svc.db, instances=instances, tasks_per_instance=3, version_id=version_id, state_json=state_json)
        enrich(svc.db, now=svc.now())
        seed_statistics(svc.db, records=records, last_year=year)
        add_user(svc, SUPERVISOR.username, ["supervisor"], password=PASSWORD)
    seeded_s = time.perf_counter() - started
    with svc.db.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    with svc.db.connect() as conn:
        counts = {
            "instances": conn.scalar(select(func.count()).select_from(ProcessInstance)),
            "cases": conn.scalar(select(func.count()).select_from(Case)),
            "stat_records": conn.scalar(select(func.count()).select_from(StatRecord)),
            "task_rows": conn.scalar(text("SELECT count(*) FROM human_task")),
            "open_tasks": conn.scalar(text("SELECT count(*) FROM human_task WHERE status = 'open'")),
            "waiting_timers": conn.scalar(
                text("SELECT count(*) FROM process_instance WHERE next_timer_at IS NOT NULL")
            ),
            "stat_records_in_year": conn.scalar(
                select(func.count()).where(StatRecord.received_on.between(date(year, 1, 1), date(year, 12, 31)))
            ),
        }
    return {**counts, "seed_seconds": round(seeded_s, 1)}


def _time(name: str, fn: Callable[[], Any], repeat: int, warmup: int) -> Samples:
    """Wall-clock samples; `cpu_ms` (this process's CPU time: the whole cost on SQLite, only the
    client's side on PostgreSQL) rides along as an attribute, since the machine may be shared."""
    samples = Samples(name)
    cpu: list[float] = []
    for _ in range(warmup):
        fn()
    for _ in range(repeat):
        started = time.process_time()
        samples.time(fn)
        cpu.append((time.process_time() - started) * 1000)
    samples.cpu_ms = sorted(cpu)[len(cpu) // 2]  # type: ignore[attr-defined]
    return samples


def _sign_in(client: TestClient) -> None:
    found = _CSRF.search(client.get("/login").text)
    assert found, "no CSRF token on the sign-in page"
    data = {"username": SUPERVISOR.username, "password": PASSWORD, "__csrf": found.group(1), "next": ""}
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 303, f"sign-in failed: {r.status_code}"


def measure(svc: Services, year: int, repeat: int, warmup: int) -> list[Samples]:
    def page(client: TestClient, path: str) -> Callable[[], Any]:
        def get() -> None:
            r = client.get(path)
            assert r.status_code == 200, f"{path}: {r.status_code}"

        return get

    out = [
        _time("dashboard() (all panels)", lambda: dashboard(svc, SUPERVISOR), repeat, warmup),
        _time("list_instances() first page", lambda: list_instances(svc, SUPERVISOR, InstanceQuery()), repeat, warmup),
        _time("list_deadlines(30 days)", lambda: list_deadlines(svc, SUPERVISOR, days=30), repeat, warmup),
        _time(f"annual_statistics({year})", lambda: annual_statistics(svc, SUPERVISOR, year), repeat, warmup),
        _time(
            f"annual_statistics({year}, publish)",
            lambda: annual_statistics(svc, SUPERVISOR, year, publish=True),
            repeat,
            warmup,
        ),
    ]
    with TestClient(create_app(svc.settings, services=svc)) as client:
        _sign_in(client)
        out.append(_time("GET /monitoring (page)", page(client, "/monitoring"), repeat, warmup))
        out.append(_time(f"GET /statistics/{year} (report page)", page(client, f"/statistics/{year}"), repeat, warmup))
        out.append(
            _time(
                f"GET /api/v1/statistics/annual/{year}",
                page(client, f"/api/v1/statistics/annual/{year}"),
                repeat,
                warmup,
            )
        )
    return out


def _build(url: str) -> Services:
    """Services as production runs them: case facts sealed at rest (a bench key kept under var/)."""
    key_file = VAR / "bench-dashboard.key"
    if not key_file.exists():
        key_file.write_text(generate_key())
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key="bench-" + "x" * 40,
        sqlite_synchronous="FULL",
        encryption_key=key_file.read_text().strip(),
    )
    migrate_database(settings)
    return Services.build(settings)


def run_db(url: str, args: argparse.Namespace) -> dict[str, Any]:
    svc = _build(url)
    try:
        counts = prepare(svc, args.instances, args.records, args.year)
        samples = measure(svc, args.year, args.repeat, args.warmup)
    finally:
        svc.close()
    return {
        "data": counts,
        "calls": {
            s.name: {**s.summary(), "cpu_median_ms": round(s.cpu_ms, 1), "meets_target": s.p95 <= TARGET_MS}  # type: ignore[attr-defined]
            for s in samples
        },
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 instances and records, 5 repeats: a smoke run")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=100_000, help="anonymous statistics records (cases)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the seeded databases")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.quick:
        args.instances, args.records, args.repeat, args.warmup = 10_000, 10_000, 5, 1
    VAR.mkdir(exist_ok=True)
    results: dict[str, Any] = {"instances": args.instances, "records": args.records, "year": args.year}
    if args.db in ("sqlite", "both"):
        path = VAR / f"bench-dashboard-{args.instances}.sqlite3"
        try:
            results["sqlite"] = run_db(f"sqlite:///{path}", args)
        finally:
            if not args.keep:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
    if args.db in ("postgresql", "both"):
        url, schema = _pg_url(f"auttamo_bench_dashboard_{args.instances}" if args.keep else None)
        try:
            results["postgresql"] = run_db(url, args)
        finally:
            if not args.keep:
                _drop(schema)
    rows = [
        {"db": db, **{k: call[k] for k in ("name", "n", "median_ms", "p95_ms", "cpu_median_ms", "meets_target")}}
        for db in ("sqlite", "postgresql")
        if db in results
        for call in results[db]["calls"].values()
    ]
    print(table(rows))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("dashboard-quick.json" if args.quick else "dashboard.json")
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nfigures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
