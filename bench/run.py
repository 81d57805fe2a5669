"""`python -m bench.run [--quick]`: the engine benchmarks; prints Markdown and writes bench/results/*.json.

PostgreSQL: AUTTAMO_BENCH_POSTGRES_URL (default: the local `test` database, in a fresh schema).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench import bare_spiff
from bench.engine_bench import CASE_FLOW, THREE_USER_TASKS, WORKLOADS, build, empty_commit, run_services, sustained
from bench.stats import table
from services.context import Services

PG = os.environ.get("AUTTAMO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_url() -> tuple[str, str]:
    schema = f"auttamo_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def _drop(schema: str) -> None:
    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@contextmanager
def bench_services(postgres: bool, name: str) -> Iterator[Services]:
    """Migrated services on a fresh SQLite file under var/ (a durable commit must reach a real file
    system, not /tmp) or in a fresh PostgreSQL schema; dropped afterwards."""
    var = Path(__file__).resolve().parent.parent / "var"
    var.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=var) as tmp:
        schema = None
        url = f"sqlite:///{tmp}/{name}.sqlite3"
        if postgres:
            url, schema = _pg_url()
        svc = build(url)
        try:
            yield svc
        finally:
            svc.close()
            if schema:
                _drop(schema)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few iterations, for a smoke run")
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    n = 20 if args.quick else args.instances
    seconds = 1.0 if args.quick else args.seconds
    results: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []

    for wl in (THREE_USER_TASKS, CASE_FLOW):
        bare = bare_spiff.run(WORKLOADS / wl.folder, wl.process_id, wl.answers, n * 3)
        bare["persisted"] = bare_spiff.run_persisted(WORKLOADS / wl.folder, wl.process_id, wl.answers, n * 3)
        results[f"{wl.folder}/bare"] = {k: v.summary() for k, v in bare.items()}
        rows += [{**s.summary(), "db": "memory", "workload": wl.folder} for s in bare.values()]

    var = Path(__file__).resolve().parent.parent / "var"
    var.mkdir(exist_ok=True)
    # on the project's disk, not /tmp: a durable commit must reach a real file system
    with tempfile.TemporaryDirectory(dir=var) as tmp:
        pg_url, schema = _pg_url()
        try:
            for db, url in (("sqlite", f"sqlite:///{tmp}/bench.sqlite3"), ("postgresql", pg_url)):
                svc = build(url)
                try:
                    for wl in (THREE_USER_TASKS, CASE_FLOW):
                        out = run_services(svc, wl, n)
                        results[f"{wl.folder}/{db}"] = {
                            "start": out["start"].summary(),
                            "complete": out["complete"].summary(),
                            "state_bytes_mid": out["state_bytes_mid"],
                        }
                        rows += [{**out[k].summary(), "db": db, "workload": wl.folder} for k in ("start", "complete")]
                        results[f"{wl.folder}/{db}"]["sustained"] = sustained(svc, wl, seconds)
                    commit = empty_commit(svc, n)
                    results[f"empty_commit/{db}"] = commit.summary()
                    rows.append({**commit.summary(), "db": db, "workload": "-"})
                finally:
                    svc.close()
        finally:
            _drop(schema)

    for wl in (THREE_USER_TASKS, CASE_FLOW):
        bare_step = results[f"{wl.folder}/bare"]["complete"]["median_ms"]
        bare_persisted = results[f"{wl.folder}/bare"]["persisted"]["median_ms"]
        for db in ("sqlite", "postgresql"):
            ours = results[f"{wl.folder}/{db}"]["complete"]["median_ms"]
            floor = results[f"empty_commit/{db}"]["median_ms"]
            results[f"{wl.folder}/{db}"]["overhead_ms"] = round(ours - floor, 3)
            results[f"{wl.folder}/{db}"]["overhead_vs_bare_step"] = round((ours - floor) / bare_step, 1)
            results[f"{wl.folder}/{db}"]["overhead_vs_bare_persisted"] = round((ours - floor) / bare_persisted, 2)
    print(table(rows))
    print()
    print(json.dumps({k: v for k, v in results.items() if "/" in k and not k.endswith("bare")}, indent=1))
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "engine.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
