"""Data protection over HTTP: restriction and named users, break-the-glass, disclosures, consent
withdrawal, legal holds, the retention preview, duplicate search and the data-subject export.

Everything is addressed by ids only: no name ever travels in a URL (a duplicate search posts the
identity in the body)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services import disclosures, protection, retention, subject_export
from web.deps import ActorDep, ServicesDep

router = APIRouter(tags=["data protection"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProtectionRead(BaseModel):
    case_id: int
    restricted: bool
    safe_address: bool
    named_users: list[str]


class ProtectionWrite(_Body):
    restricted: bool | None = None
    safe_address: bool | None = None
    named: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=50)


class NamedUser(_Body):
    username: str = Field(min_length=1, max_length=100)


class BreakGlass(_Body):
    reason: str = Field(min_length=protection.MIN_REASON, max_length=protection.MAX_REASON)


class BreakGlassRead(BaseModel):
    case_id: int
    hours: int


class DisclosureWrite(_Body):
    recipient: str = Field(min_length=1, max_length=200)
    basis: str = Field(min_length=1, max_length=64)
    fields: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=100)
    payload_summary: dict[str, Any] = Field(default_factory=dict)
    pending: bool = False


class DisclosureRead(BaseModel):
    id: int
    case_id: int
    recipient: str
    basis: str
    fields: list[str]
    status: str
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None


class ConsentWithdrawn(BaseModel):
    cancelled_disclosures: int


class HoldWrite(_Body):
    kind: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=3, max_length=500)


class HoldRead(BaseModel):
    id: int
    case_id: int
    kind: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None


class ErasureCandidateRead(BaseModel):
    case_id: int
    reference: str
    rule: str
    relationship_ended_on: str
    due_on: str


class DuplicateQuery(_Body):
    given_names: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    birth_date: str | None = Field(default=None, max_length=10)
    birth_year: int | None = None


class DuplicateRead(BaseModel):
    case_id: int
    reference: str
    matched: list[str]


def _state(s: protection.ProtectionState) -> ProtectionRead:
    return ProtectionRead(
        case_id=s.case_id, restricted=s.restricted, safe_address=s.safe_address, named_users=s.named_users
    )


def _disclosure(d: disclosures.DisclosureInfo) -> DisclosureRead:
    return DisclosureRead(**d.__dict__)


def _hold(h: retention.HoldInfo) -> HoldRead:
    return HoldRead(**h.__dict__)


@router.get("/cases/{case_id}/protection", response_model=ProtectionRead)
async def read_protection(case_id: int, actor: ActorDep, svc: ServicesDep) -> ProtectionRead:
    return _state(await run_in_threadpool(lambda: protection.protection_state(svc, actor, case_id)))


@router.put("/cases/{case_id}/protection", response_model=ProtectionRead)
async def write_protection(case_id: int, body: ProtectionWrite, actor: ActorDep, svc: ServicesDep) -> ProtectionRead:
    """Mark the case restricted and/or safe-address and name users (supervisor; audited)."""
    return _state(
        await run_in_threadpool(
            lambda: protection.set_flags(
                svc, actor, case_id, restricted=body.restricted, safe_address=body.safe_address, named=body.named
            )
        )
    )


@router.post("/cases/{case_id}/named-users", response_model=ProtectionRead)
async def add_named_user(case_id: int, body: NamedUser, actor: ActorDep, svc: ServicesDep) -> ProtectionRead:
    return _state(await run_in_threadpool(lambda: protection.grant(svc, actor, case_id, body.username)))


@router.delete("/cases/{case_id}/named-users/{username}", response_model=ProtectionRead)
async def remove_named_user(case_id: int, username: str, actor: ActorDep, svc: ServicesDep) -> ProtectionRead:
    return _state(await run_in_threadpool(lambda: protection.revoke(svc, actor, case_id, username[:100])))


@router.post("/cases/{case_id}/break-glass", response_model=BreakGlassRead)
async def break_glass(case_id: int, body: BreakGlass, actor: ActorDep, svc: ServicesDep) -> BreakGlassRead:
    """A supervisor opens a restricted case for a few hours, stating why; flagged in the access log."""
    await run_in_threadpool(lambda: protection.break_glass(svc, actor, case_id, body.reason, via="api"))
    return BreakGlassRead(case_id=case_id, hours=protection.BREAK_GLASS_HOURS)


@router.post("/cases/{case_id}/disclosures", response_model=DisclosureRead, status_code=201)
async def create_disclosure(case_id: int, body: DisclosureWrite, actor: ActorDep, svc: ServicesDep) -> DisclosureRead:
    """Record a disclosure; 422 without a valid legal basis."""
    return _disclosure(
        await run_in_threadpool(
            lambda: disclosures.record_disclosure(
                svc,
                actor,
                case_id,
                body.recipient,
                body.basis,
                body.fields,
                body.payload_summary,
                pending=body.pending,
            )
        )
    )


@router.get("/cases/{case_id}/disclosures", response_model=list[DisclosureRead])
async def read_disclosures(case_id: int, actor: ActorDep, svc: ServicesDep) -> list[DisclosureRead]:
    return [_disclosure(d) for d in await run_in_threadpool(lambda: disclosures.list_disclosures(svc, actor, case_id))]


@router.post("/cases/{case_id}/consent-withdrawal", response_model=ConsentWithdrawn)
async def consent_withdrawal(case_id: int, actor: ActorDep, svc: ServicesDep) -> ConsentWithdrawn:
    """Record that the client withdrew consent: pending disclosures that needed it are cancelled."""
    n = await run_in_threadpool(lambda: disclosures.withdraw_consent(svc, actor, case_id))
    return ConsentWithdrawn(cancelled_disclosures=n)


@router.post("/cases/{case_id}/legal-holds", response_model=HoldRead, status_code=201)
async def create_hold(case_id: int, body: HoldWrite, actor: ActorDep, svc: ServicesDep) -> HoldRead:
    return _hold(await run_in_threadpool(lambda: retention.place_hold(svc, actor, case_id, body.kind, body.reason)))


@router.post("/legal-holds/{hold_id}/release", response_model=HoldRead)
async def release_hold(hold_id: int, actor: ActorDep, svc: ServicesDep) -> HoldRead:
    return _hold(await run_in_threadpool(lambda: retention.release_hold(svc, actor, hold_id)))


@router.get("/retention/preview", response_model=list[ErasureCandidateRead])
async def retention_preview(actor: ActorDep, svc: ServicesDep) -> list[ErasureCandidateRead]:
    """What the next erasure run will erase (admin)."""
    found = await run_in_threadpool(lambda: retention.preview(svc, actor))
    return [
        ErasureCandidateRead(
            case_id=c.case_id,
            reference=c.reference,
            rule=c.rule,
            relationship_ended_on=c.relationship_ended_on.isoformat(),
            due_on=c.due_on.isoformat(),
        )
        for c in found
    ]


@router.post("/duplicates", response_model=list[DuplicateRead])
async def duplicates(body: DuplicateQuery, actor: ActorDep, svc: ServicesDep) -> list[DuplicateRead]:
    """Earlier cases of the same person, by keyed hash of name and birth date (intake)."""
    found = await run_in_threadpool(lambda: protection.find_duplicates(svc, actor, body.model_dump()))
    return [DuplicateRead(case_id=d.case_id, reference=d.reference, matched=d.matched) for d in found]


@router.get("/cases/{case_id}/subject-export")
async def export_subject(
    case_id: int,
    actor: ActorDep,
    svc: ServicesDep,
    format: Annotated[Literal["json", "html"], Query()] = "json",
) -> Response:
    """Everything held about the client (supervisor): JSON or a readable HTML page. Logged (export)."""
    data = await run_in_threadpool(lambda: subject_export.subject_export(svc, actor, case_id))
    headers = {"Cache-Control": "no-store"}
    if format == "html":
        return Response(subject_export.render_html(data), media_type="text/html; charset=utf-8", headers=headers)
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json", headers=headers)
