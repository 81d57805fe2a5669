"""Shared by the reliability tests: a live in-process server, a fake partner on the loopback, and the
consistency check that every crash and concurrency test ends with.

The consistency check restores every instance with the real engine from its stored state JSON and
compares what the engine says with the projections and the audit trail:
- the READY human tasks of the restored workflow are exactly the instance's open inbox rows;
- every inbox row marked completed is COMPLETED in the workflow, with exactly one `task_completed`
  audit row, and no task has an audit row without being completed;
- the instance row's next timer, active elements and status are what the snapshot projects.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn
from sqlalchemy import select

from bench.load.procs import LOOPBACK, free_port
from services.context import Services
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import AuditEvent, HumanTask, OutboxItem, ProcessInstance
from web.app import create_app


@contextmanager
def live_server(svc: Services) -> Iterator[str]:
    """The real app served by uvicorn in a thread on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(svc.settings, services=svc), host=LOOPBACK, port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@dataclass
class InstanceReport:
    instances: int = 0
    open_tasks: int = 0
    completed_tasks: int = 0
    problems: list[str] = field(default_factory=list)


def check_consistency(svc: Services) -> InstanceReport:
    """Restore every instance and compare engine state, inbox rows and audit rows (see module doc)."""
    report = InstanceReport()
    with UnitOfWork(svc.sessions) as uow:
        s = uow.session
        completions = Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "task_completed")).all())
        tasks_by_instance: dict[int, list[HumanTask]] = {}
        for t in s.scalars(select(HumanTask)).all():
            tasks_by_instance.setdefault(t.instance_id, []).append(t)
        for row in s.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all():
            report.instances += 1
            where = f"instance {row.id}"
            try:
                inst = restore(svc, uow, row)
            except Exception as exc:
                report.problems.append(f"{where}: cannot be restored: {exc}")
                continue
            snap = inst.snapshot()
            ready = {t.id for t in snap.ready_tasks}
            rows = tasks_by_instance.get(row.id, [])
            open_rows = {t.id for t in rows if t.status == "open"}
            report.open_tasks += len(open_rows)
            if ready != open_rows:
                report.problems.append(
                    f"{where}: READY in the engine {sorted(ready)} != open inbox rows {sorted(open_rows)}"
                )
            for t in rows:
                if t.status != "completed":
                    continue
                report.completed_tasks += 1
                state = inst.task(t.id).state
                if state != "COMPLETED":
                    report.problems.append(f"{where}: task {t.id} is completed in the inbox but {state} in the engine")
                if completions.get(t.id, 0) != 1:
                    report.problems.append(f"{where}: task {t.id} has {completions.get(t.id, 0)} task_completed rows")
            completed_ids = {t.id for t in rows if t.status == "completed"}
            for task_id, n in completions.items():
                if task_id in {t.id for t in rows} and task_id not in completed_ids:
                    report.problems.append(f"{where}: audit says {task_id} completed {n}x, the inbox row is open")
            if snap.next_timer_at != row.next_timer_at:
                report.problems.append(f"{where}: next_timer_at {row.next_timer_at} != engine {snap.next_timer_at}")
            if list(snap.active_element_ids) != list(row.active_elements or []):
                report.problems.append(
                    f"{where}: active elements {row.active_elements} != engine {list(snap.active_element_ids)}"
                )
            if snap.completed != (row.status == "completed"):
                report.problems.append(f"{where}: status {row.status} but engine completed={snap.completed}")
        known = {t.id for ts in tasks_by_instance.values() for t in ts}
        for task_id in completions:
            if task_id not in known:
                report.problems.append(f"audit row task_completed for unknown task {task_id}")
    return report


def completion_counts(svc: Services) -> Counter[str]:
    with UnitOfWork(svc.sessions) as uow:
        return Counter(
            uow.session.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "task_completed")).all()
        )


def outbox_rows(svc: Services) -> list[OutboxItem]:
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all())


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


class RecordingServer:
    """A tiny HTTP server on the loopback that records every request. `reply(body)` gives the JSON
    answer for a POST; `delay` holds each answer back (so a killed worker dies mid-call)."""

    def __init__(self, *, delay: float = 0.0, status: int = 200) -> None:
        self.requests: list[Recorded] = []
        self.delay = delay
        self.status = status
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner._lock:
                    owner.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if owner.delay:
                    time.sleep(owner.delay)
                key = self.headers.get("Idempotency-Key", "")
                answer = json.dumps({"accepted": True, "request_id": key[-12:]}).encode()
                try:
                    self.send_response(owner.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller was killed while waiting for the answer

            do_POST = _record
            do_GET = _record
            do_PUT = _record

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)

    def snapshot(self) -> list[Recorded]:
        with self._lock:
            return list(self.requests)
