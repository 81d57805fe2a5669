"""The supervisor's dashboard: where every open case and instance is, who holds the work, what is
late, what ends soon, what failed, and how long a referral waits for its decision.

Everything is an SQL aggregate over the projections (instance rows, inbox tasks, incidents, the
anonymous statistics facts) or a short indexed list; no workflow JSON is loaded, so the page stays
fast with 100,000 instances (bench/dashboard).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased

from services.context import Actor, Services
from services.deadlines import DeadlineItem, collect, due_tasks
from services.errors import Forbidden
from services.uow import UnitOfWork
from store.models import Case, HumanTask, Incident, ProcessInstance, StatDecision, StatRecord

DASHBOARD_ROLES = ("supervisor",)
OPEN_STATES = ("running", "waiting", "error", "suspended")
SOON_DAYS = 14
SOON_KINDS = ("reflection_end", "appeal_window")
LIST_LIMIT = 20


@dataclass(frozen=True)
class ProcessCount:
    process_id: str
    running: int
    error: int
    suspended: int

    @property
    def total(self) -> int:
        return self.running + self.error + self.suspended


@dataclass(frozen=True)
class StageCount:
    process_id: str
    element_id: str
    instances: int


@dataclass(frozen=True)
class LaneCount:
    lane: str | None
    open: int
    unassigned: int
    overdue: int


@dataclass(frozen=True)
class PersonCount:
    username: str
    open: int
    overdue: int


@dataclass(frozen=True)
class OverdueTask:
    id: str
    title: str
    process_id: str
    lane: str | None
    assignee: str | None
    due_at: datetime
    instance_id: int
    case_id: int | None
    case_reference: str | None


@dataclass(frozen=True)
class IncidentRow:
    id: int
    kind: str
    element_id: str | None
    message: str
    created_at: datetime
    instance_id: int
    process_id: str
    case_id: int | None


@dataclass(frozen=True)
class DecisionTime:
    decisions: int
    median_days: float | None
    p90_days: float | None
    since: date


@dataclass(frozen=True)
class Dashboard:
    as_of: datetime
    cases_by_status: list[tuple[str, int]]
    processes: list[ProcessCount]
    stages: list[StageCount]
    lanes: list[LaneCount]
    people: list[PersonCount]
    overdue_count: int
    overdue: list[OverdueTask]
    ending_soon: list[DeadlineItem]  # reflection periods and appeal windows in the next 14 days
    deadlines_soon: int  # every deadline in the next 14 days (incl. overdue)
    incident_counts: list[tuple[str, int]]
    incidents: list[IncidentRow]
    decision_time: DecisionTime

    @property
    def open_cases(self) -> int:
        return sum(n for status, n in self.cases_by_status if status != "closed")

    @property
    def unfinished(self) -> int:
        return sum(p.total for p in self.processes)

    @property
    def open_incidents(self) -> int:
        return sum(n for _kind, n in self.incident_counts)


def _processes(s: Session) -> list[ProcessCount]:
    rows = s.execute(
        select(ProcessInstance.process_id, ProcessInstance.status, func.count())
        .where(ProcessInstance.status.in_(OPEN_STATES))
        .group_by(ProcessInstance.process_id, ProcessInstance.status)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for process_id, status, n in rows:
        bucket = "running" if status in ("running", "waiting") else status
        counts.setdefault(process_id, {}).setdefault(bucket, 0)
        counts[process_id][bucket] += int(n)
    return [
        ProcessCount(p, c.get("running", 0), c.get("error", 0), c.get("suspended", 0))
        for p, c in sorted(counts.items())
    ]


def _stages(s: Session) -> list[StageCount]:
    """Instances per process and active element. Grouped by the whole `active_elements` list (a few
    hundred distinct lists at most), then split here: no per-row JSON work in the database."""
    rows = s.execute(
        select(ProcessInstance.process_id, ProcessInstance.active_elements, func.count())
        .where(ProcessInstance.status.in_(OPEN_STATES))
        .group_by(ProcessInstance.process_id, ProcessInstance.active_elements)
    ).all()
    counts: Counter[tuple[str, str]] = Counter()
    for process_id, elements, n in rows:
        for element in dict.fromkeys(e for e in (elements or []) if isinstance(e, str)):
            counts[(process_id, element)] += int(n)
    return [StageCount(p, e, n) for (p, e), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))]


def _overdue_flag(now: datetime) -> ColumnElement[int]:
    return func.sum(case((HumanTask.due_at < now, 1), else_=0))


def _lanes(s: Session, now: datetime) -> list[LaneCount]:
    rows = s.execute(
        select(
            HumanTask.lane,
            func.count(),
            func.sum(case((HumanTask.assignee.is_(None), 1), else_=0)),
            _overdue_flag(now),
        )
        .where(HumanTask.status == "open")
        .group_by(HumanTask.lane)
    ).all()
    return sorted(
        (LaneCount(lane, int(n), int(free or 0), int(late or 0)) for lane, n, free, late in rows),
        key=lambda r: (r.lane is None, r.lane or ""),
    )


def _people(s: Session, now: datetime) -> list[PersonCount]:
    rows = s.execute(
        select(HumanTask.assignee, func.count(), _overdue_flag(now))
        .where(HumanTask.status == "open", HumanTask.assignee.is_not(None))
        .group_by(HumanTask.assignee)
        .order_by(func.count().desc(), HumanTask.assignee)
        .limit(100)
    ).all()
    return [PersonCount(str(u), int(n), int(late or 0)) for u, n, late in rows]


def _overdue(s: Session, now: datetime) -> list[OverdueTask]:
    return [
        OverdueTask(r.id, r.title, r.process_id, r.lane, r.assignee, r.due_at, r.instance_id, r.case_id, r.reference)
        for r in due_tasks(s, now, LIST_LIMIT)[:LIST_LIMIT]
    ]


def _incidents(s: Session) -> tuple[list[tuple[str, int]], list[IncidentRow]]:
    counts = s.execute(
        select(Incident.kind, func.count())
        .where(Incident.status == "open")
        .group_by(Incident.kind)
        .order_by(Incident.kind)
    ).all()
    rows = s.execute(
        select(Incident, ProcessInstance.process_id)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.status == "open")
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(LIST_LIMIT * 2)
    ).all()
    return [(str(k), int(n)) for k, n in counts], [
        IncidentRow(i.id, i.kind, i.element_id, i.message[:300], i.created_at, i.instance_id, p, i.case_id)
        for i, p in rows
    ]


def percentile(histogram: list[tuple[int, int]], q: float) -> float | None:
    """The q-quantile (0 < q < 1) of values given as (value, count), by linear interpolation between
    the closest ranks (as statistics.quantiles(method="inclusive")); None when empty."""
    ordered = sorted((v, c) for v, c in histogram if c > 0)
    n = sum(c for _v, c in ordered)
    if n == 0:
        return None
    position = (n - 1) * q  # 0-based rank
    low, high = math.floor(position), math.ceil(position)

    def at(rank: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if rank < seen:
                return value
        return ordered[-1][0]

    a, b = at(low), at(high)
    return round(a + (b - a) * (position - low), 1)


def _decision_time(s: Session, today: date) -> DecisionTime:
    """Days from the referral to its first decision, over decisions of the last 12 months."""
    since = today - timedelta(days=365)
    other = aliased(StatDecision)
    first = select(func.min(other.decided_on)).where(other.record_id == StatDecision.record_id).scalar_subquery()
    days: ColumnElement[Any]
    if s.get_bind().dialect.name == "postgresql":
        days = StatDecision.decided_on - StatRecord.received_on  # date - date: whole days
    else:
        days = func.julianday(StatDecision.decided_on) - func.julianday(StatRecord.received_on)
    inner = (
        select(days.label("days"))
        .join(StatRecord, StatRecord.id == StatDecision.record_id)
        .where(
            StatDecision.decided_on >= since,
            StatDecision.decided_on <= today,
            StatRecord.received_on.is_not(None),
            StatDecision.decided_on == first,
        )
        .subquery()
    )
    rows = s.execute(select(inner.c.days, func.count()).group_by(inner.c.days)).all()
    histogram = [(max(round(float(d)), 0), int(n)) for d, n in rows if d is not None]
    return DecisionTime(sum(n for _d, n in histogram), percentile(histogram, 0.5), percentile(histogram, 0.9), since)


def dashboard(svc: Services, actor: Actor) -> Dashboard:
    """Everything on the monitoring dashboard, as of now."""
    if not actor.has(*DASHBOARD_ROLES):
        raise Forbidden("only a supervisor sees the monitoring dashboard")
    now = svc.now()
    with UnitOfWork(svc.sessions) as uow:
        s = uow.session
        cases = s.execute(select(Case.status, func.count()).group_by(Case.status).order_by(Case.status)).all()
        lanes = _lanes(s, now)
        soon, _more = collect(svc, s, now, now + timedelta(days=SOON_DAYS))
        incident_counts, incidents = _incidents(s)
        return Dashboard(
            as_of=now,
            cases_by_status=[(str(st), int(n)) for st, n in cases],
            processes=_processes(s),
            stages=_stages(s),
            lanes=lanes,
            people=_people(s, now),
            overdue_count=sum(lane.overdue for lane in lanes),
            overdue=_overdue(s, now),
            ending_soon=[d for d in soon if d.kind in SOON_KINDS and not d.overdue],
            deadlines_soon=len(soon),
            incident_counts=incident_counts,
            incidents=incidents,
            decision_time=_decision_time(s, now.date()),
        )
