"""Data for the load runs: many cases for volume, a working set of real instances to complete, and many
due timers.

- Volume: bench/seed.py writes `cases` cases, instances and task rows in bulk (the caseworkers'
  inboxes and case pages read these), with users bench_cw_<team> in 20 teams.
- Working set: real case_flow instances started through the services layer, in the same teams,
  waiting at `register` (Intake) and then `assess` (Caseworker); the bench users get both roles.
- Timers: timer_wait instances started by the real engine on a clock two days back (so their one-day
  timer is long due), written in bulk: the workers then fire them through the real use case.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.seed import seed
from engine import SourceFile
from services.context import SYSTEM, Actor, Services
from services.deploy import deploy, latest_version
from services.instances import start_in
from services.uow import UnitOfWork
from services.users import issue_token
from store.models import Case, HumanTask, ProcessInstance, Team, User, UserRole

ROOT = Path(__file__).resolve().parent.parent.parent
OWNER = Actor("bench-owner", frozenset({"process_owner"}))
CASE_FLOW = ROOT / "bench" / "workloads" / "case_flow"
TIMER_WAIT = ROOT / "tests" / "data" / "timer_wait"
TEAMS = 20


def files_in(folder: Path) -> list[SourceFile]:
    return [SourceFile(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".json")]


@dataclass
class Population:
    tokens: dict[int, str]  # team number -> bearer token of bench_cw_<team>
    cases_by_team: dict[int, list[int]]  # team number -> case ids (seeded and working set)
    register_tasks: dict[int, list[str]]  # team number -> open `register` task ids of the working set


def _a_real_state(svc: Services) -> tuple[int, str]:
    """The version id of case_flow and the state JSON of one of its instances at its first task."""
    with UnitOfWork(svc.sessions) as uow:
        version = latest_version(uow, "case_flow")
        assert version is not None
        instance = svc.engine.start(version.key, version.spec_json, {"received_on": "2026-03-01"})
        return version.id, instance.snapshot().state_json


def seed_population(svc: Services, *, cases: int, working_per_team: int) -> Population:
    deploy(svc, OWNER, files_in(CASE_FLOW))
    version_id, state_json = _a_real_state(svc)
    seed(svc.db, instances=cases, tasks_per_instance=3, teams=TEAMS, version_id=version_id, state_json=state_json)
    with UnitOfWork(svc.sessions, write=True) as uow:
        users = uow.session.scalars(select(User).where(User.username.like("bench_cw_%"))).all()
        team_of = {int(u.username.rsplit("_", 1)[1]): u.team_id for u in users}
        uow.session.execute(insert(UserRole), [{"user_id": u.id, "role": "intake"} for u in users])
        rows = uow.session.execute(select(Case.id, Case.team_id)).all()
        uow.commit()
    team_number = {team_id: n for n, team_id in team_of.items()}
    cases_by_team: dict[int, list[int]] = {n: [] for n in team_of}
    for case_id, team_id in rows:
        if team_id in team_number:
            cases_by_team[team_number[team_id]].append(case_id)
    register: dict[int, list[str]] = {n: [] for n in team_of}
    for n, team_id in team_of.items():
        for i in range(working_per_team):
            with UnitOfWork(svc.sessions, write=True) as uow:
                version = latest_version(uow, "case_flow")
                assert version is not None
                case = Case(
                    reference=f"LOAD-{n:02d}-{i:05d}",
                    team_id=team_id,
                    status="open",
                    facts={"client": {"given_names": "Load", "family_name": f"Test {n}-{i}"}},
                    opened_at=svc.now(),
                )
                uow.session.add(case)
                uow.session.flush()
                info = start_in(uow, svc, SYSTEM, version, {"received_on": "2026-03-01"}, case_id=case.id)
                uow.commit()
                cases_by_team[n].append(case.id)
            with UnitOfWork(svc.sessions) as uow:
                task = uow.session.scalars(
                    select(HumanTask.id).where(HumanTask.instance_id == info.id, HumanTask.status == "open")
                ).one()
            register[n].append(task)
    tokens = {n: issue_token(svc, f"bench_cw_{n}") for n in team_of}
    return Population(tokens, cases_by_team, register)


def seed_due_timers(svc: Services, count: int, *, batch: int = 1000) -> int:
    """`count` timer_wait instances whose timer is due, started by the engine and written in bulk."""
    with UnitOfWork(svc.sessions) as uow:
        found = latest_version(uow, "timer_wait") is not None
    if not found:
        deploy(svc, OWNER, files_in(TIMER_WAIT))
    with UnitOfWork(svc.sessions) as uow:
        version = latest_version(uow, "timer_wait")
        assert version is not None
        version_id, process_id, key, spec_json = version.id, version.process_id, version.key, version.spec_json
    past = datetime.now(UTC) - timedelta(days=2)
    rng = random.Random(11)
    rows = []
    for i in range(count):
        started = past + timedelta(seconds=rng.randint(0, 3600))
        snap = svc.engine.start(key, spec_json, {}, clock=lambda started=started: started).snapshot()
        rows.append(
            {
                "version_id": version_id,
                "process_id": process_id,
                "case_id": None,
                "status": "running",
                "state_json": snap.state_json,
                "serializer_version": snap.serializer_version,
                "state_size": len(snap.state_json),
                "tree_depth": snap.tree_depth,
                "active_elements": list(snap.active_element_ids),
                "next_timer_at": snap.next_timer_at,
                "started_by": "bench",
                "started_at": started,
                "updated_at": started,
                "version_counter": 1,
            }
        )
        if len(rows) >= batch or i == count - 1:
            with svc.db.begin() as conn:
                conn.execute(insert(ProcessInstance), rows)
            rows = []
    return count


def pending_timers(svc: Services) -> int:
    """timer_wait instances whose timer has not fired yet."""
    from sqlalchemy import func

    with UnitOfWork(svc.sessions) as uow:
        return (
            uow.session.scalar(
                select(func.count(ProcessInstance.id)).where(
                    ProcessInstance.process_id == "timer_wait",
                    ProcessInstance.next_timer_at.is_not(None),
                    ProcessInstance.status == "running",
                )
            )
            or 0
        )


def team_ids(svc: Services) -> list[int]:
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.scalars(select(Team.id)).all())
