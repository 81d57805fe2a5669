"""Bulk data for the inbox and dashboard benchmarks: many cases, instances and task rows, written
with Core executemany (the services layer would take hours for a million tasks)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from store.models import Case, HumanTask, ProcessInstance, ProcessVersion, Team, User, UserRole

LANES = ("Intake", "Caseworker", "Decider", "Supervisor")
BATCH = 10_000


def _batches(rows: list[dict[str, Any]], size: int = BATCH) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def seed(
    db: Engine,
    *,
    instances: int,
    tasks_per_instance: int,
    teams: int = 20,
    version_id: int,
    state_json: str,
    now: datetime | None = None,
    seed_value: int = 7,
) -> dict[str, int]:
    """Insert `instances` cases+instances and `instances * tasks_per_instance` task rows (about 1 in
    10 open). Returns counts. Users `bench_cw_<team>` (caseworker) exist for each team."""
    rng = random.Random(seed_value)
    now = now or datetime.now(UTC)
    with db.begin() as conn:
        process_id = conn.scalar(select(ProcessVersion.process_id).where(ProcessVersion.id == version_id))
        team_ids = []
        for t in range(teams):
            team_ids.append(conn.execute(insert(Team).values(name=f"bench team {t}")).inserted_primary_key[0])
        for t, team_id in enumerate(team_ids):
            user_id = conn.execute(
                insert(User).values(
                    username=f"bench_cw_{t}",
                    display_name=f"CW {t}",
                    team_id=team_id,
                    active=True,
                    locale="fi",
                    created_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(insert(UserRole).values(user_id=user_id, role="caseworker"))
        first_case = (conn.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0) + 1
    case_rows, instance_rows, task_rows = [], [], []
    for i in range(instances):
        case_id = first_case + i
        team_id = team_ids[i % teams]
        opened = now - timedelta(days=rng.randint(0, 900))
        case_rows.append(
            {
                "id": case_id,
                "reference": f"BENCH-{case_id:07d}",
                "team_id": team_id,
                "status": "open",
                "facts": {},
                "opened_at": opened,
                "created_by": "bench",
            }
        )
        instance_rows.append(
            {
                "id": case_id,
                "version_id": version_id,
                "process_id": process_id,
                "case_id": case_id,
                "status": "running",
                "state_json": state_json,
                "serializer_version": "1.5",
                "state_size": len(state_json),
                "tree_depth": 7,
                "active_elements": ["ut1"],
                "next_timer_at": None,
                "started_by": "bench",
                "started_at": opened,
                "updated_at": opened,
                "version_counter": 1,
            }
        )
        for k in range(tasks_per_instance):
            is_open = k == tasks_per_instance - 1 and rng.random() < 0.9
            lane = (
                LANES[rng.randrange(4)]
                if not is_open
                else ("Caseworker" if rng.random() < 0.7 else LANES[rng.randrange(4)])
            )
            created = opened + timedelta(hours=k * 6)
            assignee = None
            if is_open and rng.random() < 0.3:
                assignee = f"bench_cw_{i % teams}"
            task_rows.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "instance_id": case_id,
                    "case_id": case_id,
                    "process_id": process_id,
                    "version_id": version_id,
                    "bpmn_id": f"ut{k % 3 + 1}",
                    "title": f"Task {k % 3 + 1}",
                    "lane": lane,
                    "form_schema": f"form{k % 3 + 1}-schema.json",
                    "form_ui_schema": None,
                    "status": "open" if is_open else "completed",
                    "assignee": assignee,
                    "priority": 10 if rng.random() < 0.05 else 0,
                    "due_at": created + timedelta(days=rng.randint(-30, 60)) if rng.random() < 0.8 else None,
                    "created_at": created,
                    "completed_at": None if is_open else created + timedelta(hours=2),
                    "completed_by": None if is_open else f"bench_cw_{i % teams}",
                }
            )
        if len(task_rows) >= BATCH * 5:
            _flush(db, case_rows, instance_rows, task_rows)
            case_rows, instance_rows, task_rows = [], [], []
    _flush(db, case_rows, instance_rows, task_rows)
    if db.dialect.name == "postgresql":  # explicit ids do not advance PostgreSQL's sequences
        with db.begin() as conn:
            for table in ("client_case", "process_instance"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    return {"instances": instances, "tasks": instances * tasks_per_instance}


def _flush(
    db: Engine, cases: list[dict[str, Any]], instances: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> None:
    with db.begin() as conn:
        for batch in _batches(cases):
            conn.execute(insert(Case), batch)
        for batch in _batches(instances):
            conn.execute(insert(ProcessInstance), batch)
        for batch in _batches(tasks):
            conn.execute(insert(HumanTask), batch)
