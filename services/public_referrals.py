"""A referral from the public form (/refer): anonymous, rate-limited, answered with a status code.

The referral itself is the same as any other (services.referrals.submit_referral, the same document
and checks), submitted as the system actor PUBLIC_REFERRER. What is added: the per-address limit, and
a one-time status code whose hash is kept with the reference, so the referrer can later learn
"admitted / not admitted" and nothing else (services.referrer_notifications.referral_status).
"""

from __future__ import annotations

from dataclasses import dataclass

from processes.referral_document import ReferralDocument
from services.context import PUBLIC_REFERRER, Services
from services.rate_limits import take_slot
from services.referrals import submit_referral
from services.referrer_channels import new_status_code, public_form_channel

SUBMIT_BUCKET = "public_referral"


@dataclass(frozen=True)
class PublicReceipt:
    reference: str
    status_code: str  # shown once on the receipt; only its hash is stored


def submit_public_referral(svc: Services, doc: ReferralDocument, *, address: str) -> PublicReceipt:
    """Count the submission against the address's limit (RateLimited when full), then submit."""
    s = svc.settings
    take_slot(
        svc,
        SUBMIT_BUCKET,
        address,
        limit=s.public_referral_max_per_address,
        window_minutes=s.public_referral_window_minutes,
    )
    code = new_status_code()
    receipt = submit_referral(svc, PUBLIC_REFERRER, doc, channel=public_form_channel(code))
    return PublicReceipt(receipt.reference, code)
