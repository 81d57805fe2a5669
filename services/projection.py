"""After every change to an instance, project its snapshot into plain rows, in the same transaction:
the instance row itself, inbox tasks, message subscriptions, outbox items and incidents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from engine import Baseline, InstanceSnapshot, TaskView
from services.stat_projection import project_case_facts
from store.models import (
    AUDIT_TABLE,
    HUMAN_TASK_TABLE,
    HumanTask,
    Incident,
    MessageSubscription,
    OutboxItem,
    ProcessInstance,
)

DEPTH_WARNING = 800
NEW_INSTANCE = Baseline()  # nothing projected yet  # SpiffWorkflow stalls silently past 1000 (notes pitfall 2)


def _duration_days(text: str) -> timedelta | None:
    text = text.strip().upper()
    if text.startswith("P") and text.endswith("D") and text[1:-1].isdigit():
        return timedelta(days=int(text[1:-1]))
    if text.startswith("PT") and text.endswith("H") and text[2:-1].isdigit():
        return timedelta(hours=int(text[2:-1]))
    return None


def _parse_due(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value if "T" in value else value + "T23:59:59+00:00")
        except ValueError:
            return None
        return parsed
    return None


def task_due_and_priority(task: TaskView, data: dict[str, Any], now: datetime) -> tuple[datetime | None, int]:
    """Due date and priority from the task's properties: `dueAt` names a data variable holding the
    deadline (a business deadline computed by processes/ rules), `dueIn` is an ISO duration from now;
    `priority` is an integer; urgent or child cases (data `urgent` true) come first."""
    props = task.properties
    due = (
        _parse_due(task.due_value if task.due_value is not None else data.get(props.get("dueAt", "")))
        if props.get("dueAt")
        else None
    )
    if due is None and props.get("dueIn"):
        delta = _duration_days(props["dueIn"])
        due = now + delta if delta else None
    try:
        priority = int(props.get("priority", "0"))
    except ValueError:
        priority = 0
    if task.urgent or data.get("urgent") is True:
        priority = max(priority, 10)
    return due, priority


def apply_snapshot(
    session: Session,
    row: ProcessInstance,
    snap: InstanceSnapshot,
    *,
    now: datetime,
    actor: str,
    before: Baseline = NEW_INSTANCE,
    handled: frozenset[str] = frozenset(),
) -> list[str]:
    """Write `snap` into `row` and its projections; returns the ids of newly opened inbox tasks.

    `before` is what the projections held before the change (Instance.baseline()), so only the
    differences are written: one statement per kind of change, none when nothing changed.
    `handled` are task ids the caller updates itself (the task just completed).
    """
    row.state_json = snap.state_json
    row.serializer_version = snap.serializer_version
    row.state_size = len(snap.state_json)
    row.tree_depth = snap.tree_depth
    row.active_elements = list(snap.active_element_ids)
    row.next_timer_at = snap.next_timer_at
    row.updated_at = now
    if snap.completed and row.status != "cancelled":
        row.status = "completed"
        row.completed_at = row.completed_at or now
    elif row.status not in ("suspended", "error", "cancelled"):
        row.status = "running"

    opened = _project_tasks(session, row, snap, now, before, handled)
    if row.case_id is not None:
        project_case_facts(session, row.case_id, snap.data, now)
    if before is NEW_INSTANCE or snap.subscriptions != before.subscriptions:
        _project_subscriptions(session, row, snap)
    _project_outbox(session, row, snap, now)
    if snap.unstorable is not None:  # the change was dropped; `snap` is the state it began from
        record_incident(session, row, "state_unstorable", None, snap.unstorable, now)
    if snap.tree_depth > DEPTH_WARNING:
        record_incident(
            session,
            row,
            "tree_depth",
            None,
            f"task tree depth {snap.tree_depth} is close to SpiffWorkflow's limit of 1000",
            now,
        )
    return opened


def _project_tasks(
    session: Session,
    row: ProcessInstance,
    snap: InstanceSnapshot,
    now: datetime,
    before: Baseline,
    handled: frozenset[str],
) -> list[str]:
    ready_ids = {t.id for t in snap.ready_tasks}
    gone = sorted(before.ready_task_ids - ready_ids - handled)
    if gone:
        # Gone from READY without a completion through us: cancelled by a boundary event,
        # a message, or the instance ending.
        session.execute(
            update(HumanTask)
            .where(HumanTask.id.in_(gone), HumanTask.status == "open")
            .values(status="cancelled", completed_at=now)
        )
    new_rows: list[dict[str, Any]] = []
    for task in snap.ready_tasks:
        if task.id in before.ready_task_ids:
            continue
        due, priority = task_due_and_priority(task, snap.data, now)
        new_rows.append(
            {
                "id": task.id,
                "instance_id": row.id,
                "case_id": row.case_id,
                "process_id": task.process_id,
                "version_id": row.version_id,
                "bpmn_id": task.bpmn_id,
                "title": task.name[:300],
                "lane": task.lane,
                "form_schema": task.form_schema,
                "form_ui_schema": task.form_ui_schema,
                "status": "open",
                "priority": priority,
                "due_at": due,
                "created_at": now,
            }
        )
    if new_rows:
        session.execute(insert(HUMAN_TASK_TABLE), new_rows)  # Core: no ORM bookkeeping needed
    return [str(r["id"]) for r in new_rows]


def _project_subscriptions(session: Session, row: ProcessInstance, snap: InstanceSnapshot) -> None:
    session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == row.id))
    for sub in snap.subscriptions:
        session.add(
            MessageSubscription(
                instance_id=row.id, case_id=row.case_id, message_name=sub.name, correlations=sub.correlations
            )
        )


def _project_outbox(session: Session, row: ProcessInstance, snap: InstanceSnapshot, now: datetime) -> None:
    for call in snap.service_calls:
        key = f"i{row.id}:t{call.task_id}"
        if session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)) is None:
            session.add(
                OutboxItem(
                    instance_id=row.id,
                    case_id=row.case_id,
                    kind="service_call",
                    name=call.operation,
                    task_id=call.task_id,
                    payload=call.params,
                    idempotency_key=key,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    for n, msg in enumerate(snap.outbound_messages):
        key = f"i{row.id}:m{row.version_counter}:{n}:{msg.name}"
        session.add(
            OutboxItem(
                instance_id=row.id,
                case_id=row.case_id,
                kind="message",
                name=msg.name,
                payload={"payload": msg.payload, "correlations": msg.correlations},
                idempotency_key=key,
                next_attempt_at=now,
                created_at=now,
            )
        )


def record_incident(
    session: Session,
    row: ProcessInstance,
    kind: str,
    element_id: str | None,
    message: str,
    now: datetime,
    outbox_id: int | None = None,
) -> Incident:
    incident = Incident(
        instance_id=row.id,
        case_id=row.case_id,
        kind=kind,
        element_id=element_id,
        message=message[:4000],
        outbox_id=outbox_id,
        created_at=now,
    )
    session.add(incident)
    if kind not in NON_BLOCKING_INCIDENTS:
        row.status = "error"
    return incident


# Incidents a supervisor must see that do not stop the process: a warning (tree depth) or a failed
# notification to someone outside (the referrer's webhook), which nothing in the process waits for.
# Blocking ones put the instance in "error", where its timers no longer fire.
NON_BLOCKING_INCIDENTS = frozenset({"tree_depth", "notification"})


def resolve_incidents(
    session: Session, row: ProcessInstance, actor: str, now: datetime, kind: str | None = None
) -> None:
    query = update(Incident).where(Incident.instance_id == row.id, Incident.status == "open")
    if kind is not None:
        query = query.where(Incident.kind == kind)
    session.execute(query.values(status="resolved", resolved_at=now, resolved_by=actor))


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    row: ProcessInstance | None = None,
    case_id: int | None = None,
    task_id: str | None = None,
    element_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.execute(
        insert(AUDIT_TABLE),
        [
            {
                "at": now,
                "actor": actor,
                "action": action,
                "instance_id": row.id if row is not None else None,
                "case_id": case_id if case_id is not None else (row.case_id if row is not None else None),
                "task_id": task_id,
                "element_id": element_id,
                "details": details or {},
            }
        ],
    )


def data_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The keys a completion changed, with old and new values (for the history table)."""
    return {k: {"old": before.get(k), "new": v} for k, v in after.items() if before.get(k) != v}
