"""`/api/v1/consultations`: the anonymous-consultation log (services/consultations.py).

Codes and a date only; the body refuses any other field, so no free text can slip in. A bad code or
date is 422 naming the field; a role that may not record or read the log is 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.consultations import (
    MAX_LIST,
    ConsultationInput,
    ConsultationView,
    list_consultations,
    record_consultation,
)
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/consultations", tags=["consultations"])

Code = Annotated[str, Field(max_length=32)]  # emptiness and codes: checked by the service, all at once


class ConsultationCreate(BaseModel):
    """One consultation: codes of `referrer_type`, `consultation_topic` and `consultation_outcome`."""

    model_config = ConfigDict(extra="forbid")

    consulted_on: date | None = Field(None, description="the day of the call (no time); today when omitted")
    referrer_type: Code
    topic: Code
    outcome: Code


class ConsultationRead(BaseModel):
    id: int
    consulted_on: date
    referrer_type: str
    topic: str
    outcome: str
    recorded_by: str = Field(description="the staff member who took the call, never the caller")
    recorded_at: datetime
    editable: bool = Field(description="whether you may still correct or delete it")

    @classmethod
    def of(cls, view: ConsultationView) -> ConsultationRead:
        return cls(
            id=view.id,
            consulted_on=view.consulted_on,
            referrer_type=view.referrer_type,
            topic=view.topic,
            outcome=view.outcome,
            recorded_by=view.recorded_by,
            recorded_at=view.recorded_at,
            editable=view.editable,
        )


@router.get("", response_model=list[ConsultationRead])
async def read_consultations(
    actor: ActorDep,
    svc: ServicesDep,
    start: Annotated[date | None, Query(description="first day of the period")] = None,
    end: Annotated[date | None, Query(description="last day of the period")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> list[ConsultationRead]:
    """Entries of a period, newest first (intake and supervisors: all; caseworkers: their own)."""
    found = await run_in_threadpool(lambda: list_consultations(svc, actor, start=start, end=end, limit=limit))
    return [ConsultationRead.of(v) for v in found]


@router.post("", response_model=ConsultationRead, status_code=status.HTTP_201_CREATED)
async def create_consultation(body: ConsultationCreate, actor: ActorDep, svc: ServicesDep) -> ConsultationRead:
    """Log an anonymous consultation (intake, caseworker)."""
    entry = ConsultationInput(body.consulted_on, body.referrer_type, body.topic, body.outcome)
    return ConsultationRead.of(await run_in_threadpool(record_consultation, svc, actor, entry))
