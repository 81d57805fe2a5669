"""Read one client case: status, client summary, active tasks, decisions, deadlines and history.

Everything here is case data, so need-to-know applies (services/access.py) and the read is written to
the access log in the same transaction. Roles that never see case data (process owner, admin,
referrer) are refused before the case is even looked up, so they cannot probe which case ids exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from services.access import CASE_ROLES, readable_case
from services.access_log import Via, record_read
from services.context import Actor, Services
from services.documents import DocumentInfo, document_info
from services.errors import Forbidden
from services.inbox import InboxRow, row_of, row_select
from services.letters import FACTS_FIELD, SignedDecision, signed_decisions
from services.protection import redact_for
from services.uow import UnitOfWork
from store.models import AuditEvent, Document, HumanTask, ProcessInstance, Team

HISTORY_LIMIT = 1000  # newest events shown; the full history stays in the audit table
DOCUMENT_LIMIT = 1000  # oldest first; a case with more is listed in part (the API serves each by id)
CLIENT_FIELDS = (
    "given_names",
    "family_name",
    "birth_date",
    "birth_year",
    "gender",
    "nationalities",
    "languages",
    "interpreter_needed",
)


@dataclass(frozen=True)
class Deadline:
    kind: str  # task | timer | a rule's own kind from case facts (e.g. appeal_window)
    due_at: datetime
    basis: str  # why this date: the task, the timer, or the legal/policy rule


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    element_id: str | None
    summary: str


@dataclass(frozen=True)
class CaseView:
    id: int
    reference: str
    status: str
    team: str | None
    opened_at: datetime
    closed_at: datetime | None
    exit_reason: str | None
    urgent: bool
    received_at: str | None
    client: dict[str, Any]
    active_tasks: list[InboxRow] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    documents: list[DocumentInfo] = field(default_factory=list)  # metadata only; bytes via get_document
    signed_decisions: list[SignedDecision] = field(default_factory=list)  # with their decision letters


def get_case(svc: Services, actor: Actor, case_id: int, *, via: Via) -> CaseView:
    """The case as a caseworker's overview shows it; logs the read."""
    if not actor.roles & CASE_ROLES:
        raise Forbidden("your role does not see case data")
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = readable_case(uow.session, actor, case_id)
        team = uow.session.get(Team, case.team_id) if case.team_id is not None else None
        tasks = uow.session.execute(
            row_select()
            .where(HumanTask.case_id == case.id, HumanTask.status == "open")
            .order_by(HumanTask.created_at, HumanTask.id)
        ).all()
        active = [row_of(t, ref, version, now) for t, ref, version in tasks]
        instances = uow.session.scalars(
            select(ProcessInstance).where(
                ProcessInstance.case_id == case.id, ProcessInstance.next_timer_at.is_not(None)
            )
        ).all()
        events = uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(HISTORY_LIMIT)
        ).all()
        documents = uow.session.execute(
            select(Document, HumanTask.title)
            .options(defer(Document.content))  # the bytes stay in the database until downloaded
            .outerjoin(HumanTask, HumanTask.id == Document.task_id)
            .where(Document.case_id == case.id)
            .where(Document.field.is_(None) | (Document.field != FACTS_FIELD))  # a letter's inputs, not a file
            .order_by(Document.uploaded_at, Document.id)
            .limit(DOCUMENT_LIMIT)
        ).all()
        facts = dict(case.facts or {})
        client = facts["client"] if isinstance(facts.get("client"), dict) else {}
        view = CaseView(
            id=case.id,
            reference=case.reference,
            status=case.status,
            team=team.name if team is not None else None,
            opened_at=case.opened_at,
            closed_at=case.closed_at,
            exit_reason=case.exit_reason,
            urgent=bool(facts.get("urgent")),
            received_at=str(facts["received_at"]) if facts.get("received_at") else None,
            client=redact_for(uow.session, actor, case.id, {k: client.get(k) for k in CLIENT_FIELDS}),
            active_tasks=active,
            decisions=redact_for(
                uow.session, actor, case.id, [d for d in facts.get("decisions", []) if isinstance(d, dict)]
            ),
            deadlines=_deadlines(active, instances, facts),
            history=[_history(e) for e in reversed(events)],
            documents=[document_info(d, title) for d, title in documents],
            signed_decisions=signed_decisions(uow.session, case),
        )
        record_read(uow.session, actor, case.id, "case", via, at=now)
        uow.commit()
    return view


def _deadlines(tasks: list[InboxRow], instances: Sequence[ProcessInstance], facts: dict[str, Any]) -> list[Deadline]:
    found = [
        Deadline("task", t.due_at, f"task '{t.title}' ({t.process}/{t.name})") for t in tasks if t.due_at is not None
    ]
    for inst in instances:
        if inst.next_timer_at is None:
            continue
        found.append(Deadline("timer", inst.next_timer_at, f"next timer of {inst.process_id} (instance {inst.id})"))
    # Deadlines computed by processes/ rules are recorded in case facts with their legal or policy basis.
    for item in facts.get("deadlines", []):
        if isinstance(item, dict) and (due := _as_datetime(item.get("due_at"))) is not None:
            found.append(Deadline(str(item.get("kind") or "rule"), due, str(item.get("basis") or "")))
    return sorted(found, key=lambda d: d.due_at)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _history(event: AuditEvent) -> HistoryEntry:
    return HistoryEntry(event.at, event.actor, event.action, event.element_id, summarize(event.action, event.details))


def summarize(action: str, details: dict[str, Any] | None) -> str:
    """One line for the history table: which fields changed, not their values (those are in the audit)."""
    details = details or {}
    if action == "task_completed":
        changed = sorted((details.get("changes") or {}).keys())
        return f"changed: {', '.join(changed)}" if changed else "completed without changes"
    if action == "task_assigned":
        return f"from {details.get('from') or 'nobody'} to {details.get('to') or 'nobody'}"
    if action == "instance_started":
        return f"{details.get('process_id')} version {details.get('version')}"
    if action == "message_delivered":
        return f"message {details.get('message')}"
    if action == "referral_received":
        return f"referral from {details.get('referrer_type')}" + (" (urgent)" if details.get("urgent") else "")
    if action == "document_uploaded":
        return f"{details.get('filename')} ({details.get('size')} bytes) for {details.get('field')}"
    return ""
