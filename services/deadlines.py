"""Every statutory or policy deadline of the open work, sorted by urgency, with its legal basis.

Three sources, each read through an index or a small JSON list, never the workflow JSON:
- open tasks with a due date (`human_task.due_at`; the task's `dueAt` property names the data
  variable the deadline came from, e.g. `decision_due_on`);
- waiting timers (`process_instance.next_timer_at`, labelled by the waiting timer element: its
  name, documentation and `timeDate` variable, e.g. `reflection_end_at`);
- deadlines the processes record in case data: `client_case.facts["deadlines"]`, a list of
  `{kind, due_at, basis}` (ISO date or instant; a date alone means the end of that day, UTC).
  Case facts are sealed at rest (store.crypto), so these are read case by case for the cases the
  other two sources list (and by the database's JSON functions where facts are not sealed).

The kind (decision, reflection_end, appeal_window, hearing, review, information) comes from the
variable's name; the basis from the entry itself, else from processes.rules.BASIS, else from the
element's documentation. A deadline known both as a timer and as a case fact is listed once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from processes.rules import BASIS
from services.context import Actor, Services
from services.element_catalog import ElementInfo, catalog_of
from services.errors import Forbidden, InvalidInput
from services.uow import UnitOfWork
from store import crypto
from store.models import Case, HumanTask, ProcessInstance

DEADLINE_ROLES = ("supervisor",)  # the list names cases
WAITING_STATES = ("running", "waiting", "error", "suspended")
MAX_ROWS = 500  # per source and page; the page says when there were more
KINDS = ("decision", "reflection_end", "appeal_window", "hearing", "review", "information", "task", "timer")
# variable stem -> kind; a stem also matches as a suffix (removal_appeal_deadline -> appeal_window)
STEMS = {
    "decision_due": "decision",
    "decision_target": "decision",
    "reflection_end": "reflection_end",
    "reflection_period_end": "reflection_end",
    "appeal_deadline": "appeal_window",
    "appeal_window": "appeal_window",
    "hearing_deadline": "hearing",
    "hearing": "hearing",
    "next_review": "review",
    "review": "review",
    "info_close": "information",
    "information": "information",
}
_SUFFIX = re.compile(r"_(at|on|day|date)$")


def kind_of_variable(name: str | None) -> str | None:
    """The deadline kind a data variable (or a recorded kind) stands for; None when unknown."""
    if not name:
        return None
    stem = _SUFFIX.sub("", name.strip().lower())
    for key, kind in STEMS.items():
        if stem == key or stem.endswith("_" + key):
            return kind
    return None


KIND_BASIS = {kind: BASIS[key] for key in BASIS if (kind := kind_of_variable(key)) is not None}


def basis_for(variable: str | None) -> str:
    if not variable:
        return ""
    return BASIS.get(variable) or KIND_BASIS.get(kind_of_variable(variable) or "", "")


@dataclass(frozen=True)
class DeadlineItem:
    due_at: datetime
    kind: str
    source: str  # task | timer | case
    title: str
    basis: str
    case_id: int | None = None
    case_reference: str | None = None
    instance_id: int | None = None
    process_id: str | None = None
    element_id: str | None = None
    task_id: str | None = None
    assignee: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class DeadlineList:
    items: list[DeadlineItem]
    as_of: datetime
    until: datetime
    truncated: bool  # a source had more than MAX_ROWS


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_due(value: Any) -> datetime | None:
    """An ISO instant, or an ISO date meaning the end of that day (UTC)."""
    if isinstance(value, datetime):
        return _aware(value)
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value) + timedelta(days=1), time(0), tzinfo=UTC)
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _elements(svc: Services, s: Session) -> Callable[[int], dict[str, ElementInfo]]:
    """The element lookup of each version, resolved once per listing (called processes included)."""
    catalog = catalog_of(svc)
    return functools.cache(lambda version_id: catalog.lookup(s, version_id))


def _label(info: ElementInfo | None, fallback: str) -> str:
    return (info.name or info.id) if info is not None else fallback


def due_tasks(s: Session, until: datetime, limit: int) -> list[Any]:
    """Open tasks due before `until`, earliest first, at most `limit` + 1 (to tell there are more).

    One index range per lane (ix_human_task_open_lane_due: status, lane, due_at), merged here: a
    single ORDER BY due_at over every lane would read and sort every open task."""
    lanes = s.scalars(select(HumanTask.lane).where(HumanTask.status == "open").distinct()).all()
    rows: list[Any] = []
    for lane in lanes:
        rows += s.execute(
            select(
                HumanTask.id,
                HumanTask.title,
                HumanTask.bpmn_id,
                HumanTask.process_id,
                HumanTask.version_id,
                HumanTask.instance_id,
                HumanTask.lane,
                HumanTask.assignee,
                HumanTask.due_at,
                HumanTask.case_id,
                Case.reference,
            )
            .outerjoin(Case, Case.id == HumanTask.case_id)
            .where(
                HumanTask.status == "open",
                HumanTask.lane.is_(None) if lane is None else HumanTask.lane == lane,
                HumanTask.due_at < until,
            )
            .order_by(HumanTask.due_at, HumanTask.id)
            .limit(limit + 1)
        ).all()
    rows.sort(key=lambda r: (_aware(r.due_at), r.id))
    return rows[: limit + 1]


def _tasks(svc: Services, s: Session, now: datetime, until: datetime, limit: int) -> tuple[list[DeadlineItem], bool]:
    rows = due_tasks(s, until, limit)
    elements = _elements(svc, s)
    items = []
    for r in rows[:limit]:
        info = elements(r.version_id).get(r.bpmn_id)
        variable = info.properties.get("dueAt") if info is not None else None
        due = _aware(r.due_at)
        basis = basis_for(variable) or (info.documentation if info is not None else "")
        if not basis and info is not None and info.properties.get("dueIn"):
            basis = f"policy: {info.properties['dueIn']} from the task's start"
        items.append(
            DeadlineItem(
                due_at=due,
                kind=kind_of_variable(variable) or "task",
                source="task",
                title=r.title,
                basis=basis,
                case_id=r.case_id,
                case_reference=r.reference,
                instance_id=r.instance_id,
                process_id=r.process_id,
                element_id=r.bpmn_id,
                task_id=r.id,
                assignee=r.assignee,
                overdue=due < now,
            )
        )
    return items, len(rows) > limit


def _timers(svc: Services, s: Session, now: datetime, until: datetime, limit: int) -> tuple[list[DeadlineItem], bool]:
    rows = s.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.process_id,
            ProcessInstance.version_id,
            ProcessInstance.case_id,
            ProcessInstance.active_elements,
            ProcessInstance.next_timer_at,
            Case.reference,
        )
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .where(
            ProcessInstance.next_timer_at.is_not(None),
            ProcessInstance.next_timer_at < until,
            ProcessInstance.status.in_(WAITING_STATES),
        )
        .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
        .limit(limit + 1)
    ).all()
    elements_of = _elements(svc, s)
    items = []
    for r in rows[:limit]:
        elements = elements_of(r.version_id)
        timers = [elements[e] for e in (r.active_elements or []) if e in elements and elements[e].timer]
        known = [t for t in timers if kind_of_variable(t.timer)]
        chosen = known[0] if len(known) == 1 else (timers[0] if len(timers) == 1 else None)
        due = _aware(r.next_timer_at)
        if chosen is not None:
            kind = kind_of_variable(chosen.timer) or "timer"
            title, element = _label(chosen, chosen.id), chosen.id
            basis = basis_for(chosen.timer) or chosen.documentation
        else:
            kind, element, basis = "timer", None, ""
            title = " / ".join(_label(t, t.id) for t in timers) or "timer"
        items.append(
            DeadlineItem(
                due_at=due,
                kind=kind,
                source="timer",
                title=title,
                basis=basis,
                case_id=r.case_id,
                case_reference=r.reference,
                instance_id=r.id,
                process_id=r.process_id,
                element_id=element,
                overdue=due < now,
            )
        )
    return items, len(rows) > limit


_FACTS_SQLITE = """
SELECT c.id, c.reference, json_extract(d.value, '$.kind'), json_extract(d.value, '$.due_at'),
       json_extract(d.value, '$.basis')
FROM client_case c, json_each(c.facts, '$.deadlines') AS d
WHERE json_type(c.facts, '$.deadlines') = 'array' AND d.type = 'object' AND c.status <> 'closed'
  AND json_extract(d.value, '$.due_at') >= :lo AND json_extract(d.value, '$.due_at') < :hi
ORDER BY 4, c.id LIMIT :limit
"""
_FACTS_POSTGRES = """
SELECT c.id, c.reference, d ->> 'kind', d ->> 'due_at', d ->> 'basis'
FROM client_case c
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(c.facts -> 'deadlines') = 'array' THEN c.facts -> 'deadlines' ELSE '[]'::jsonb END
) AS d
WHERE jsonb_typeof(d) = 'object' AND c.status <> 'closed' AND d ->> 'due_at' >= :lo AND d ->> 'due_at' < :hi
ORDER BY 4, c.id LIMIT :limit
"""


def _fact_items(
    rows: Sequence[Any], since: datetime, until: datetime, now: datetime, limit: int
) -> tuple[list[DeadlineItem], bool]:
    items = []
    for case_id, reference, kind, due_text, basis in rows:
        due = parse_due(due_text)
        if due is None or not since <= due < until:
            continue
        raw = str(kind or "deadline")[:64]
        found = kind_of_variable(raw) or raw
        items.append(
            DeadlineItem(
                due_at=due,
                kind=found,
                source="case",
                title=raw,
                basis=str(basis or "") or KIND_BASIS.get(found, ""),
                case_id=int(case_id),
                case_reference=reference,
                overdue=due < now,
            )
        )
    items.sort(key=lambda d: d.due_at)
    return items[:limit], len(items) > limit


def _facts(s: Session, since: datetime, until: datetime, now: datetime, limit: int) -> tuple[list[DeadlineItem], bool]:
    """Deadlines recorded in plain (unsealed) case facts, found by the database's JSON functions.
    Sealed facts (store.crypto) are opaque here; _facts_of reads those case by case."""
    if crypto.ring() is not None:
        return [], False
    # ISO strings compare in time order; a day of margin either side, then the exact test in Python.
    lo = (since - timedelta(days=1)).date().isoformat()
    hi = (until + timedelta(days=1)).date().isoformat()
    sql = _FACTS_POSTGRES if s.get_bind().dialect.name == "postgresql" else _FACTS_SQLITE
    rows = s.execute(text(sql), {"lo": lo, "hi": hi, "limit": limit * 2 + 1}).all()
    items, more = _fact_items(rows, since, until, now, limit)
    return items, more or len(rows) > limit * 2


def _facts_of(
    s: Session, case_ids: set[int], since: datetime, until: datetime, now: datetime, limit: int
) -> list[DeadlineItem]:
    """Deadlines recorded in the facts of these cases (opened one by one: they may be sealed)."""
    if not case_ids:
        return []
    rows: list[tuple[Any, ...]] = []
    for case_id, reference, facts in s.execute(
        select(Case.id, Case.reference, Case.facts).where(Case.id.in_(sorted(case_ids)), Case.status != "closed")
    ):
        entries = facts.get("deadlines") if isinstance(facts, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                rows.append((case_id, reference, entry.get("kind"), entry.get("due_at"), entry.get("basis")))
    return _fact_items(rows, since, until, now, limit)[0]


def _merge(facts: list[DeadlineItem], others: list[DeadlineItem]) -> list[DeadlineItem]:
    """One row per (case, kind, minute): a timer that waits for a recorded deadline keeps the fact's basis."""
    by_key = {(f.case_id, f.kind, f.due_at.replace(second=0, microsecond=0)): f for f in facts}
    merged: list[DeadlineItem] = []
    for item in others:
        key = (item.case_id, item.kind, item.due_at.replace(second=0, microsecond=0))
        fact = by_key.pop(key, None) if item.source == "timer" else None
        merged.append(replace(item, basis=fact.basis or item.basis) if fact is not None else item)
    merged.extend(by_key.values())
    return sorted(merged, key=lambda d: (d.due_at, d.kind, d.case_id or 0))


def collect(
    svc: Services, s: Session, now: datetime, until: datetime, *, limit: int = MAX_ROWS
) -> tuple[list[DeadlineItem], bool]:
    """Open deadlines due before `until`: overdue tasks and late timers too, case-data deadlines from now on.

    Case facts are sealed at rest, so the database can search them only where they are not: the
    deadlines recorded in the facts of the cases whose tasks and timers are listed are read case by
    case. (An indexed plain projection of the recorded deadlines would find the rest; see the report.)"""
    tasks, more_tasks = _tasks(svc, s, now, until, limit)
    timers, more_timers = _timers(svc, s, now, until, limit)
    facts, more_facts = _facts(s, now, until, now, limit)
    seen = {(f.case_id, f.kind, f.due_at) for f in facts}
    listed = {i.case_id for i in tasks + timers if i.case_id is not None}
    facts += [f for f in _facts_of(s, listed, now, until, now, limit) if (f.case_id, f.kind, f.due_at) not in seen]
    return _merge(facts, tasks + timers), more_tasks or more_timers or more_facts


def list_deadlines(svc: Services, actor: Actor, *, days: int = 30, kind: str | None = None) -> DeadlineList:
    """Everything due within `days` (and everything already overdue), most urgent first."""
    if not actor.has(*DEADLINE_ROLES):
        raise Forbidden("only a supervisor sees every deadline")
    if not 1 <= days <= 366:
        raise InvalidInput("bad period", {"days": "between 1 and 366"})
    if kind is not None and kind not in KINDS:
        raise InvalidInput("unknown kind", {"kind": f"one of: {', '.join(KINDS)}"})
    now = svc.now()
    until = now + timedelta(days=days)
    with UnitOfWork(svc.sessions) as uow:
        items, truncated = collect(svc, uow.session, now, until)
    if kind is not None:
        items = [i for i in items if i.kind == kind]
    return DeadlineList(items, now, until, truncated)
