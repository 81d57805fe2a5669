"""`/api/v1/referrals`: partner systems (and intake) submit a referral; the answer is only the case's id.

The body is the referral document of DESIGN.md section 4, validated by its model in
processes/referral_document.py (codes, lengths, consent, no unknown fields): 422 names each field.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from config import Settings
from services.context import Actor
from services.referrals import submit_referral
from services.referrer_channels import ChannelSpec, partner_channel
from web.api.schemas_cases import ReferralReceived
from web.api.schemas_referrals import PartnerReferral
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/referrals", tags=["referrals"])


@router.post("", response_model=ReferralReceived, status_code=status.HTTP_201_CREATED)
async def create_referral(body: PartnerReferral, actor: ActorDep, svc: ServicesDep) -> ReferralReceived:
    """Create the client's case and start the referral process (roles referrer, intake, supervisor).
    A partner system hears the outcome at `callback_url`, else at AUTTAMO_REFERRER_WEBHOOK_URL."""
    channel = _channel(svc.settings, actor, body.callback_url)
    receipt = await run_in_threadpool(submit_referral, svc, actor, body.document(), channel=channel)
    return ReferralReceived(case_id=receipt.case_id, reference=receipt.reference)


def _channel(settings: Settings, actor: Actor, callback_url: str | None) -> ChannelSpec | None:
    """Partner systems (the `referrer` role) get a webhook channel; intake registering a phone
    referral tells the referrer itself, unless it names a callback."""
    if callback_url is None and (not actor.has("referrer") or actor.has("intake", "supervisor")):
        return None
    return partner_channel(settings, callback_url)
