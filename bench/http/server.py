"""A live app server in a subprocess for the HTTP benchmarks, and PostgreSQL bench schemas.

The server is the app as `auttamo serve` runs it (web.app.create_app from the environment, one
uvicorn worker, h11, asyncio) with uvicorn's per-request access log off, so that a line of log
formatting and terminal output is not part of every figure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("AUTTAMO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-http-secret-" + "x" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_schema_url(schema: str | None = None) -> tuple[str, str]:
    """(URL of a fresh schema in the `test` database, its name); `schema` names it (and reuses it)."""
    name = schema or f"auttamo_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {name}"))
    engine.dispose()
    return f"{PG}?options=-csearch_path%3D{name}", name


def drop_pg_schema(name: str) -> None:
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    engine.dispose()


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUTTAMO_ENV": "development",
        "AUTTAMO_SECRET_KEY": SECRET,
        "PYTHONPATH": str(ROOT),
    }


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux /proc). On a shared,
        loaded machine this stays honest where wall-clock percentiles do not: CPU per request."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def live_server(database_url: str, *, access_log: bool = False) -> Iterator[Server]:
    """Serve the app on a free port in a subprocess; yields it (base URL, pid) and stops it afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "web.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-proxy-headers",
    ]
    if not access_log:
        command.append("--no-access-log")
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(database_url), stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 60 s")
            time.sleep(0.1)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
