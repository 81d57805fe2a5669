"""What a referrer may learn about a referral, and the rate limit of the public pages.

A referrer learns only "received" and later "admitted / not admitted" (DESIGN.md section 1). These
tables hold exactly that and nothing that identifies the client: the case reference, a hash of the
status code shown once on the public form's receipt, a partner system's callback URL, the outcome
and when it was told. The rate limit counts hits per keyed hash of the client address, never the
address itself, so the people who refer victims are not logged by IP.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UtcDateTime, utcnow


class ReferrerChannel(Base):
    """How the referrer of one referral hears back: a status code (public form) or a callback (partner API)."""

    __tablename__ = "referrer_channel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # the case reference, AUT-YYYY-NNNNNN
    channel: Mapped[str] = mapped_column(String(16))  # public_form | partner_api
    status_code_sha256: Mapped[str | None] = mapped_column(String(64))
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReferrerNotification(Base):
    """The referrer was told the outcome (admitted | not_admitted); an appeal may add a later row."""

    __tablename__ = "referrer_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source_outbox_id: Mapped[int | None] = mapped_column(Integer, unique=True)  # a repeated delivery is one row


class RateLimitHit(Base):
    """One counted use of a rate-limited public page (bucket) from one client address (keyed hash)."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_bucket_addr_at", "bucket", "address_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32))
    address_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
