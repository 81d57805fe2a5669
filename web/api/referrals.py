"""`/api/v1/referrals`: partner systems (and intake) submit a referral; the answer is only the case's id.

The body is the referral document of DESIGN.md section 4, validated by its model in
processes/referral_document.py (codes, lengths, consent, no unknown fields): 422 names each field.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from processes.referral_document import ReferralDocument
from services.referrals import submit_referral
from web.api.schemas_cases import ReferralReceived
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/referrals", tags=["referrals"])


@router.post("", response_model=ReferralReceived, status_code=status.HTTP_201_CREATED)
async def create_referral(body: ReferralDocument, actor: ActorDep, svc: ServicesDep) -> ReferralReceived:
    """Create the client's case and start the referral process (roles referrer, intake, supervisor)."""
    receipt = await run_in_threadpool(submit_referral, svc, actor, body)
    return ReferralReceived(case_id=receipt.case_id, reference=receipt.reference)
