"""How the referrer of a referral hears the outcome: the smallest thing that informs each kind of referrer.

- Public form (often anonymous): a one-time status code on the receipt, stored only as a sha256;
  with the reference it opens /refer/status, which shows "received", later "admitted" / "not admitted".
- Partner system (POST /api/v1/referrals by an account with the `referrer` role): a webhook. The
  referral's own `callback_url`, else AUTTAMO_REFERRER_WEBHOOK_URL (one gateway for all partners),
  receives POST {reference, outcome} through the outbox.
- Intake registering a phone or e-mail referral: no channel; the official tells the referrer by the
  contact in the referral, and the case page shows the decision.
Nothing here identifies the client: a channel row holds the reference, a hash and a URL.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from config import Settings
from services.errors import InvalidInput
from store.models import ReferrerChannel

PUBLIC_FORM = "public_form"
PARTNER_API = "partner_api"
# No 0/O, 1/I/L: the code is read from a screen or a piece of paper and typed back.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LENGTH = 4, 4  # 16 characters, ~79 bits: guessing is hopeless behind the rate limit
MAX_CALLBACK_URL = 2000


@dataclass(frozen=True)
class ChannelSpec:
    """What to record with a new referral (services.referrals.submit_referral writes it in its transaction)."""

    channel: str
    status_code_sha256: str | None = None
    callback_url: str | None = None


def new_status_code() -> str:
    """A random status code, e.g. K7QF-M2XP-9WHT-R4CD; shown once, kept only as a hash."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS))
    return "-".join(groups)


def normalise_code(code: str) -> str:
    """What a person types back: any case, with or without hyphens and spaces."""
    return "".join(c for c in code.upper() if c.isalnum())[:64]


def code_digest(code: str) -> str:
    return hashlib.sha256(f"referral-status:{normalise_code(code)}".encode()).hexdigest()


def public_form_channel(status_code: str) -> ChannelSpec:
    return ChannelSpec(PUBLIC_FORM, status_code_sha256=code_digest(status_code))


def partner_channel(settings: Settings, callback_url: str | None) -> ChannelSpec:
    """A partner system's referral; `callback_url`, when given, must be https (http only outside
    production) and, if AUTTAMO_REFERRER_CALLBACK_HOSTS is set, on one of those hosts."""
    if callback_url is None:
        return ChannelSpec(PARTNER_API)
    url = callback_url.strip()
    parts = urlsplit(url)
    schemes = ("https",) if settings.is_production else ("https", "http")
    if len(url) > MAX_CALLBACK_URL or parts.scheme not in schemes or not parts.hostname or parts.username:
        raise InvalidInput(
            "the callback URL is not allowed",
            {"callback_url": "use an https URL without credentials, at most 2000 characters"},
        )
    hosts = settings.referrer_callback_hosts
    if hosts and parts.hostname.lower() not in hosts:
        raise InvalidInput("the callback URL is not allowed", {"callback_url": "this host is not allowed"})
    return ChannelSpec(PARTNER_API, callback_url=url)


def record_channel(session: Session, reference: str, spec: ChannelSpec, now: datetime) -> None:
    """Inside the referral's own transaction: keep how its referrer hears back."""
    session.add(
        ReferrerChannel(
            reference=reference,
            channel=spec.channel,
            status_code_sha256=spec.status_code_sha256,
            callback_url=spec.callback_url,
            created_at=now,
        )
    )


def webhook_url(settings: Settings, channel: ReferrerChannel | None) -> str | None:
    """Where the outcome of a referral is POSTed: its own callback, else the global partner webhook."""
    if channel is None or channel.channel != PARTNER_API:
        return None
    return channel.callback_url or settings.referrer_webhook_url
