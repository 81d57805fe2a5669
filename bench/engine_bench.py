"""Start and task-completion times through the services layer, durably committed, on SQLite
(WAL, synchronous=FULL) and PostgreSQL, against bare SpiffWorkflow in memory.

Each completion is the real use case: load and lock the instance, restore it around the version's
cached spec, validate the form data against its JSON Schema, complete the task in the sandboxed
engine, serialize without the spec, project the inbox/timers/subscriptions/outbox, write the audit
row and COMMIT.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.stats import Samples
from config import Settings
from engine import SourceFile
from services.context import Actor, Services
from services.deploy import deploy
from services.instances import start_instance
from services.tasks import complete_task
from services.uow import UnitOfWork
from store.models import HumanTask, ProcessInstance

WORKLOADS = Path(__file__).resolve().parent / "workloads"
OWNER = Actor("bench-owner", frozenset({"process_owner"}))
WORKER = Actor("bench-worker", frozenset({"caseworker", "intake", "supervisor"}))


@dataclass(frozen=True)
class Workload:
    folder: str
    process_id: str
    answers: list[dict[str, Any]]  # one form's data per user task, in order
    start_data: dict[str, Any]


THREE_USER_TASKS = Workload(
    "three_user_tasks", "three_user_tasks", [{"field1": "a"}, {"field2": "b"}, {"field3": "c"}], {}
)
CASE_FLOW = Workload(
    "case_flow",
    "case_flow",
    [{"client_name": "Anna", "received_on": "2026-03-01", "urgent": False}, {"risk_level": 3}],
    {"received_on": "2026-03-01"},
)


def files(workload: Workload) -> list[SourceFile]:
    folder = WORKLOADS / workload.folder
    return [SourceFile(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".json")]


def _open_task(svc: Services, instance_id: int) -> str | None:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalars(
            select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open").limit(1)
        ).first()


def empty_commit(svc: Services, n: int) -> Samples:
    """The floor: one durable write transaction that changes one row and commits."""
    samples = Samples("empty durable commit")
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.scalars(select(ProcessInstance).limit(1)).first()
        assert row is not None
        row_id = row.id
    for _ in range(n):

        def once() -> None:
            with UnitOfWork(svc.sessions, write=True) as uow:
                uow.session.execute(
                    text("UPDATE process_instance SET state_size = state_size WHERE id = :i"), {"i": row_id}
                )
                uow.commit()

        samples.time(once)
    return samples


def deploy_workload(svc: Services, workload: Workload) -> None:
    deploy(svc, OWNER, files(workload))


def run_services(svc: Services, workload: Workload, instances: int, *, warm: int = 10) -> dict[str, Any]:
    """Start `instances` instances and complete every task of each (after `warm` uncounted ones).
    The workload is deployed first unless it already is."""
    _ensure_deployed(svc, workload)
    start, complete = Samples("start->first task"), Samples("task completion")
    mid_sizes: list[int] = []
    for i in range(instances + warm):  # the first `warm` warm the caches and are not counted
        counted = i >= warm
        begin = partial(start_instance, svc, OWNER, workload.process_id, dict(workload.start_data))
        info = start.time(begin) if counted else begin()
        for n, answer in enumerate(workload.answers):
            task_id = _open_task(svc, info.id)  # the inbox lookup is not part of the completion
            assert task_id is not None
            step = partial(complete_task, svc, WORKER, task_id, answer)
            complete.time(step) if counted else step()
            if n == 0 and counted:
                with UnitOfWork(svc.sessions) as uow:
                    row = uow.session.get(ProcessInstance, info.id)
                    assert row is not None
                    mid_sizes.append(row.state_size)
    return {"start": start, "complete": complete, "state_bytes_mid": int(sum(mid_sizes) / len(mid_sizes))}


def _ensure_deployed(svc: Services, workload: Workload) -> None:
    from services.deploy import latest_version

    with UnitOfWork(svc.sessions) as uow:
        if latest_version(uow, workload.process_id) is not None:
            return
    deploy_workload(svc, workload)


def sustained(svc: Services, workload: Workload, seconds: float) -> dict[str, float]:
    """Completions per second, one client, start + every task, for `seconds`."""
    done = instances = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        info = start_instance(svc, OWNER, workload.process_id, dict(workload.start_data))
        for answer in workload.answers:
            task_id = _open_task(svc, info.id)
            assert task_id is not None
            complete_task(svc, WORKER, task_id, answer)
            done += 1
        instances += 1
    return {"completions_per_s": round(done / seconds, 1), "instances_per_s": round(instances / seconds, 1)}


def build(url: str) -> Services:
    from cli.main import migrate_database

    settings = Settings(environment="test", database_url=url, secret_key="bench-" + "x" * 40, sqlite_synchronous="FULL")
    migrate_database(settings)
    return Services.build(settings)


def report(name: str, samples: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**s.summary(), "db": name} for s in samples.values() if isinstance(s, Samples)]


def as_json(results: dict[str, Any]) -> str:
    def default(o: Any) -> Any:
        return o.summary() if isinstance(o, Samples) else str(o)

    return json.dumps(results, default=default, indent=2)
