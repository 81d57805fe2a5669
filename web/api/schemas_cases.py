"""Pydantic models of the case, message, referral and access-log endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.access_log import AccessEntry
from services.cases import CaseView
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
