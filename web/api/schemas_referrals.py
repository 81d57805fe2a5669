"""The body of POST /api/v1/referrals: the referral document, plus where the partner hears the outcome."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from processes.referral_document import ReferralDocument


class PartnerReferral(ReferralDocument):
    """The referral document (DESIGN.md section 4) and an optional `callback_url`: the partner system is
    later POSTed `{reference, outcome}` there (outcome admitted | not_admitted, nothing else)."""

    callback_url: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None,
        description="https URL that receives {reference, outcome} when the admission decision is served",
    )

    def document(self) -> ReferralDocument:
        """The referral document alone: the callback is the partner's, not part of the case file."""
        return ReferralDocument.model_validate(self.model_dump(exclude={"callback_url"}))
