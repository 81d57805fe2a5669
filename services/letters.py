"""Decision letters: produced when a decider signs, frozen as case documents, downloaded under need-to-know.

When a decider completes a signing task with a signature (processes/letters: `approve_decision`
approved, `decide_removal` remove), `freeze_on_signing` runs in the same transaction as the completion:
it freezes the decision's facts (a JSON case document) and renders the letter in the case's preferred
language as HTML and PDF (two more case documents, sealed like every document). A letter is never
rendered twice: a download serves the stored bytes, so a later template change cannot alter a letter
that was sent. A letter in another language is rendered on its first download from the frozen facts,
and is frozen from then on. A decision signed before this code existed gets its facts from the engine
(the signing task's data) on the first download, then follows the same path.

Which completions are signatures comes from the audit trail (every completion is audited with the values
it changed), so the case view needs no engine restore. Every download is a read of case data and is
written to the access log in the same transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from engine import TaskNotFound
from processes.letters import (
    LETTER_LANGUAGES,
    SIGNING_TASKS,
    LetterKind,
    SigningTask,
    letter_facts,
    preferred_language,
    signing_task,
)
from services.access import CASE_ROLES, readable_case
from services.access_log import Via, record_read
from services.context import Actor, Services
from services.documents import DocumentInfo, document_info, new_document
from services.errors import Conflict, Forbidden, NotFound
from services.letter_render import render_html, render_pdf
from services.projection import audit
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import AuditEvent, Case, Document, HumanTask, ProcessInstance, User

log = logging.getLogger(__name__)

LetterFormat = Literal["html", "pdf"]
CONTENT_TYPES: dict[str, str] = {"html": "text/html", "pdf": "application/pdf"}
LETTER_FIELD = "decision_letter"  # documents: decision_letter.<lang> (html, pdf) and decision_letter.facts
FACTS_FIELD = f"{LETTER_FIELD}.facts"
SYSTEM_PRODUCER = "system"


@dataclass(frozen=True)
class SignedDecision:
    """A decision signed by a decider, with the letters frozen so far (metadata only)."""

    id: str  # the signing task's id
    kind: LetterKind
    decided_at: datetime
    decider: str
    language: str  # the case's preferred letter language
    letters: tuple[DocumentInfo, ...] = ()
    outcome: str | None = None  # admitted | rejected | removed (None: not known until its letter is produced)
    ground: str | None = None  # the rejection or removal ground


@dataclass(frozen=True)
class LetterFile:
    decision_id: str
    language: str
    format: LetterFormat
    filename: str
    content_type: str
    sha256: str
    content: bytes


# --- which completions are signatures --------------------------------------------------------------
def _signatures(session: Session, case_id: int) -> dict[str, bool]:
    """Signing-task id -> whether its completion signed. A completion's audit entry holds only the values
    it changed, so a value kept from an earlier round (e.g. `approved` again after an appeal reopened the
    decision) is carried over from the previous completion of the same element in the same instance."""
    elements = {s.bpmn_id for s in SIGNING_TASKS}
    rows = session.execute(
        select(AuditEvent.task_id, AuditEvent.instance_id, AuditEvent.element_id, AuditEvent.details)
        .where(
            AuditEvent.case_id == case_id,
            AuditEvent.action == "task_completed",
            AuditEvent.element_id.in_(elements),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    current: dict[tuple[int | None, str | None], Any] = {}
    signed: dict[str, bool] = {}
    for task_id, instance_id, element_id, details in rows:
        spec = next(s for s in SIGNING_TASKS if s.bpmn_id == element_id)
        changes = (details or {}).get("changes") or {}
        key = (instance_id, element_id)
        if spec.field in changes and isinstance(changes[spec.field], Mapping):
            current[key] = changes[spec.field].get("new")
        if task_id:
            signed[task_id] = current.get(key) == spec.signed_value
    return signed


def _signing_rows(session: Session, case_id: int) -> list[tuple[HumanTask, SigningTask]]:
    rows = session.scalars(
        select(HumanTask)
        .where(
            HumanTask.case_id == case_id,
            HumanTask.status == "completed",
            HumanTask.bpmn_id.in_({s.bpmn_id for s in SIGNING_TASKS}),
        )
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    return [(t, s) for t in rows if (s := signing_task(t.process_id, t.bpmn_id)) is not None]


def _letter_documents(session: Session, case_id: int, task_ids: list[str]) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .options(defer(Document.content))
            .where(
                Document.case_id == case_id,
                Document.task_id.in_(task_ids),
                Document.field.like(f"{LETTER_FIELD}.%"),
            )
            .order_by(Document.id)
        ).all()
    )


def _facts_of(row: Document) -> dict[str, Any]:
    facts = json.loads(row.content.decode("utf-8"))
    assert isinstance(facts, dict)
    return facts


def signed_decisions(session: Session, case: Case) -> list[SignedDecision]:
    """The case's signed decisions, oldest first; the caller has checked access (this reads no bytes
    but the small frozen facts)."""
    tasks = _signing_rows(session, case.id)
    if not tasks:
        return []
    documents = _letter_documents(session, case.id, [t.id for t, _ in tasks])
    facts_docs = {d.task_id: d for d in documents if d.field == FACTS_FIELD}
    signatures = _signatures(session, case.id) if len(facts_docs) < len(tasks) else {}
    client = _client(case, {})
    found = []
    for task, spec in tasks:
        facts_doc = facts_docs.get(task.id)
        if facts_doc is None and not signatures.get(task.id):
            continue  # returned to the drafter, or the client stays: no decision letter
        facts = _facts_of(facts_doc) if facts_doc else {"language": preferred_language({}, client)}
        assert task.completed_at is not None  # completed
        letters = tuple(document_info(d) for d in documents if d.task_id == task.id and d.field != FACTS_FIELD)
        ground = facts.get("rejection_ground") or facts.get("removal_ground")
        found.append(
            SignedDecision(
                task.id,
                spec.kind,
                task.completed_at,
                task.completed_by or "",
                str(facts["language"]),
                letters,
                facts.get("outcome"),
                ground,
            )
        )
    return found


# --- producing -------------------------------------------------------------------------------------
def _client(case: Case, data: Mapping[str, Any]) -> Mapping[str, Any]:
    client = (case.facts or {}).get("client")
    if isinstance(client, Mapping):
        return client
    referral = data.get("referral")
    fallback = referral.get("client") if isinstance(referral, Mapping) else None
    return fallback if isinstance(fallback, Mapping) else {}


def _display_name(session: Session, username: str | None) -> str | None:
    if not username:
        return None
    name = session.scalar(select(User.display_name).where(User.username == username))
    return name or username


def _presenter(session: Session, task: HumanTask, spec: SigningTask, decided_at: datetime) -> str | None:
    """Whoever last completed the presenting element before the signature (presenter-decider principle)."""
    return session.scalar(
        select(HumanTask.completed_by)
        .where(
            HumanTask.instance_id == task.instance_id,
            HumanTask.bpmn_id == spec.presenter_element,
            HumanTask.status == "completed",
            HumanTask.completed_at <= decided_at,
        )
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
        .limit(1)
    )


def _build_facts(
    session: Session,
    spec: SigningTask,
    task: HumanTask,
    case: Case,
    data: Mapping[str, Any],
    *,
    decider: str,
    decided_at: datetime,
) -> dict[str, Any]:
    client = _client(case, data)
    facts = letter_facts(
        spec,
        data,
        decision_id=task.id,
        reference=case.reference,
        client=client,
        decided_on=decided_at,
        decider=_display_name(session, decider) or decider,
        presenter=_display_name(session, _presenter(session, task, spec, decided_at)),
    )
    facts["language"] = preferred_language(data, client)
    return facts


def _stem(facts: Mapping[str, Any]) -> str:
    kind = "decision" if facts["kind"] == "admission" else "removal-decision"
    return f"{kind}-{facts['reference']}-{facts['decided_on']}"


def _store(
    session: Session,
    task: HumanTask,
    field: str,
    filename: str,
    content_type: str,
    content: bytes,
    *,
    by: str,
    now: datetime,
) -> Document:
    row = new_document(task, field, filename, content_type, content, by, now)
    session.add(row)
    return row


def _render(svc: Services, facts: Mapping[str, Any], lang: str, fmt: LetterFormat, now: datetime) -> bytes:
    kind: LetterKind = "admission" if facts["kind"] == "admission" else "removal"
    override = svc.settings.letter_templates_dir
    if fmt == "html":
        return render_html(kind, lang, dict(facts), override_dir=override).encode("utf-8")
    return render_pdf(kind, lang, dict(facts), produced_at=now, override_dir=override)


def _freeze_letter(
    svc: Services,
    session: Session,
    task: HumanTask,
    facts: Mapping[str, Any],
    lang: str,
    fmt: LetterFormat,
    *,
    by: str,
    now: datetime,
) -> Document:
    content = _render(svc, facts, lang, fmt, now)
    filename = f"{_stem(facts)}.{lang}.{fmt}"
    return _store(session, task, f"{LETTER_FIELD}.{lang}", filename, CONTENT_TYPES[fmt], content, by=by, now=now)


def freeze_on_signing(
    svc: Services, session: Session, actor: Actor, task: HumanTask, data: Mapping[str, Any], now: datetime
) -> None:
    """After a completion (same transaction): if it was a decider's signature, freeze the decision's facts
    and its letter in the preferred language. A template that fails to render must not undo a signature:
    the facts are frozen regardless, the failure is logged, and the letter is rendered on first download."""
    spec = signing_task(task.process_id, task.bpmn_id)
    if spec is None or not spec.signs(data) or task.case_id is None:
        return
    case = session.get(Case, task.case_id)
    if case is None:
        return
    facts = _build_facts(session, spec, task, case, data, decider=actor.username, decided_at=now)
    stored = [_store_facts(session, task, facts, by=actor.username, now=now)]
    try:
        for fmt in ("html", "pdf"):
            stored.append(_freeze_letter(svc, session, task, facts, facts["language"], fmt, by=actor.username, now=now))
    except Exception:  # a deployment's template error: logged here; the first download retries and reports it
        log.exception("decision letter for task %s was not rendered; it will be on first download", task.id)
    session.flush()
    audit(
        session,
        actor=actor.username,
        action="decision_letter_produced",
        now=now,
        case_id=task.case_id,
        task_id=task.id,
        element_id=task.bpmn_id,
        details={"documents": {d.filename: d.sha256 for d in stored}},
    )


def _store_facts(session: Session, task: HumanTask, facts: Mapping[str, Any], *, by: str, now: datetime) -> Document:
    content = json.dumps(facts, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    return _store(session, task, FACTS_FIELD, f"{_stem(facts)}.facts.json", "application/json", content, by=by, now=now)


# --- downloading -----------------------------------------------------------------------------------
def _legacy_facts(svc: Services, uow: UnitOfWork, task: HumanTask, spec: SigningTask, case: Case) -> dict[str, Any]:
    """The facts of a decision signed before letters were produced: the signing task's data in the engine."""
    instance = uow.session.get(ProcessInstance, task.instance_id)
    assert instance is not None and task.completed_at is not None  # foreign key; a completed task
    try:
        data = restore(svc, uow, instance).task(task.id, with_data=True).data
    except TaskNotFound as exc:
        raise Conflict("this decision's data is no longer in its process; its letter cannot be produced") from exc
    return _build_facts(
        uow.session, spec, task, case, data, decider=task.completed_by or "", decided_at=task.completed_at
    )


def get_letter(
    svc: Services,
    actor: Actor,
    case_id: int,
    decision_id: str,
    *,
    fmt: LetterFormat = "pdf",
    lang: str | None = None,
    via: Via,
) -> LetterFile:
    """The frozen letter of a signed decision (produced now if it is the first request); logs the read."""
    if not actor.roles & CASE_ROLES:
        raise Forbidden("your role does not see case data")
    if lang is not None and lang not in LETTER_LANGUAGES:
        raise NotFound(f"no letters in the language {lang!r}")
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = readable_case(uow.session, actor, case_id)
        # The row lock (PostgreSQL) makes two first downloads produce one letter, not two.
        task = uow.session.scalars(
            select(HumanTask).where(HumanTask.id == decision_id[:36], HumanTask.case_id == case.id).with_for_update()
        ).first()
        spec = signing_task(task.process_id, task.bpmn_id) if task is not None else None
        decision = next((d for d in signed_decisions(uow.session, case) if d.id == decision_id), None)
        if task is None or spec is None or decision is None:
            raise NotFound(f"no signed decision {decision_id} in case {case_id}")
        documents = _letter_documents(uow.session, case.id, [task.id])
        facts_doc = next((d for d in documents if d.field == FACTS_FIELD), None)
        facts = _facts_of(facts_doc) if facts_doc else _legacy_facts(svc, uow, task, spec, case)
        if facts_doc is None:
            _store_facts(uow.session, task, facts, by=SYSTEM_PRODUCER, now=now)
        language = lang or str(facts["language"])
        field, content_type = f"{LETTER_FIELD}.{language}", CONTENT_TYPES[fmt]
        letter = next((d for d in documents if d.field == field and d.content_type == content_type), None)
        if letter is None:
            letter = _freeze_letter(svc, uow.session, task, facts, language, fmt, by=SYSTEM_PRODUCER, now=now)
        record_read(uow.session, actor, case.id, f"decision letter {task.id} ({language}, {fmt})", via, at=now)
        result = LetterFile(
            task.id, language, fmt, letter.filename, letter.content_type, letter.sha256, bytes(letter.content)
        )
        uow.commit()
    return result
