"""Pydantic models of the case, message, referral and access-log endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.access_log import AccessEntry
from services.cases import CaseView
from services.documents import DocumentInfo
from services.letters import SignedDecision
from web.api.letters import letter_links
from web.api.schemas_tasks import TaskRow


class ClientSummary(BaseModel):
    given_names: str | None = None
    family_name: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    gender: str | None = None
    nationalities: list[str] | None = None
    languages: list[str] | None = None
    interpreter_needed: bool | None = None


class DeadlineRead(BaseModel):
    kind: str
    due_at: datetime
    basis: str = Field(description="why this date: the task, the timer, or the rule and its legal basis")


class HistoryRead(BaseModel):
    at: datetime
    actor: str
    action: str
    element_id: str | None
    summary: str


class CaseDocumentRead(BaseModel):
    id: str = Field(description="the document's public id: GET /api/v1/documents/{id} downloads it (logged)")
    filename: str
    content_type: str
    size: int
    sha256: str = Field(description="recorded on receipt; a document is never overwritten")
    uploaded_by: str
    uploaded_at: datetime
    field: str | None = Field(description="the form field it was uploaded for")
    task_id: str | None
    task_title: str | None

    @classmethod
    def of(cls, info: DocumentInfo) -> CaseDocumentRead:
        return cls(
            id=info.public_id,
            filename=info.filename,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            uploaded_by=info.uploaded_by,
            uploaded_at=info.uploaded_at,
            field=info.field,
            task_id=info.task_id,
            task_title=info.task_title,
        )


class SignedDecisionRead(BaseModel):
    id: str = Field(description="the decision's id: the decider's signing task")
    kind: str = Field(description="admission | removal")
    decided_at: datetime
    decider: str
    outcome: str | None = Field(description="admitted | rejected | removed")
    ground: str | None = Field(description="the rejection ground (no_trafficking | no_need) or the removal ground")
    language: str = Field(description="the letter's language chosen for the case; others on request")
    letters: dict[str, dict[str, str]] = Field(
        description="download links by language, then format (html, pdf); the decision's language first"
    )
    documents: list[CaseDocumentRead] = Field(description="the letters frozen so far")

    @classmethod
    def of(cls, case_id: int, d: SignedDecision) -> SignedDecisionRead:
        return cls(
            id=d.id,
            kind=d.kind,
            decided_at=d.decided_at,
            decider=d.decider,
            outcome=d.outcome,
            ground=d.ground,
            language=d.language,
            letters=letter_links(case_id, d.id, d.language),
            documents=[CaseDocumentRead.of(doc) for doc in d.letters],
        )


class CaseRead(BaseModel):
    id: int
    reference: str
    status: str
    team: str | None
    opened_at: datetime
    closed_at: datetime | None
    exit_reason: str | None
    urgent: bool
    received_at: str | None
    client: ClientSummary
    active_tasks: list[TaskRow]
    decisions: list[dict[str, Any]]
    deadlines: list[DeadlineRead]
    history: list[HistoryRead]
    documents: list[CaseDocumentRead] = Field(description="metadata of the case's documents, oldest first")
    signed_decisions: list[SignedDecisionRead] = Field(
        default_factory=list, description="decisions signed by a decider, with their letters (HTML, PDF)"
    )

    @classmethod
    def of(cls, view: CaseView) -> CaseRead:
        return cls(
            id=view.id,
            reference=view.reference,
            status=view.status,
            team=view.team,
            opened_at=view.opened_at,
            closed_at=view.closed_at,
            exit_reason=view.exit_reason,
            urgent=view.urgent,
            received_at=view.received_at,
            client=ClientSummary.model_validate(view.client),
            active_tasks=[TaskRow.of(t) for t in view.active_tasks],
            decisions=view.decisions,
            deadlines=[DeadlineRead(**d.__dict__) for d in view.deadlines],
            history=[HistoryRead(**h.__dict__) for h in view.history],
            documents=[CaseDocumentRead.of(d) for d in view.documents],
            signed_decisions=[SignedDecisionRead.of(view.id, d) for d in view.signed_decisions],
        )


class MessageSend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any] = Field(default_factory=dict, description="the message's content")


class MessageDelivered(BaseModel):
    delivered_to: list[int] = Field(description="ids of the process instances that received the message")


class ReferralReceived(BaseModel):
    case_id: int
    reference: str


class AccessEntryRead(BaseModel):
    id: int
    at: datetime
    username: str
    case_id: int
    what: str
    via: str

    @classmethod
    def of(cls, entry: AccessEntry) -> AccessEntryRead:
        return cls(**entry.__dict__)
