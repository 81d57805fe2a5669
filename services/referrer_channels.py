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
import ipaddress
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
    """A partner system's referral; `callback_url`, when given, must pass `callback_url_problem` and, if
    AUTTAMO_REFERRER_CALLBACK_HOSTS is set, be on one of those hosts."""
    if callback_url is None:
        return ChannelSpec(PARTNER_API)
    url = callback_url.strip()
    problem = callback_url_problem(settings, url)
    if problem is not None:
        raise InvalidInput("the callback URL is not allowed", {"callback_url": problem})
    return ChannelSpec(PARTNER_API, callback_url=url)


# Names that only mean something inside a network (RFC 6761, 6762, 8375 and common practice).
_LOCAL_NAMES = ("localhost", "localdomain", "local", "internal", "intranet", "lan", "home.arpa", "corp")
# IPv6 prefixes that carry an IPv4 address a gateway would reach for us: NAT64 (RFC 6052, 8215) and 6to4.
_EMBEDDING_V4 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16"))


def callback_url_problem(settings: Settings, url: str) -> str | None:
    """Why a partner-named callback URL is refused (None: allowed). The server POSTs to it, so it must
    not point the server at itself or its own network (SSRF): printable ASCII only (no header or
    request splitting), https (http only outside production), no credentials, a valid port, and a host
    on AUTTAMO_REFERRER_CALLBACK_HOSTS when the operator set it, otherwise one that is neither a local
    name nor an IP literal outside the global unicast range. A DNS name is not resolved here (its answer
    can change before the call): in production name the hosts. The webhook never follows a redirect
    (integrations.referrer_webhook)."""
    if len(url) > MAX_CALLBACK_URL or any(not ("!" <= c <= "~") for c in url):
        return "use an https URL of printable characters without spaces, at most 2000 characters"
    parts = urlsplit(url)
    schemes = ("https",) if settings.is_production else ("https", "http")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in schemes or not parts.hostname or parts.username is not None or port == -1:
        return "use an https URL without credentials, at most 2000 characters"
    host = parts.hostname.lower().rstrip(".")
    hosts = settings.referrer_callback_hosts
    if hosts:  # the operator named the partners' hosts (perhaps inside a closed network): only those
        return None if host in hosts else "this host is not allowed"
    if not _public_host(host):
        return "the callback URL must name a public host"
    return None


def _public_host(host: str) -> bool:
    """Whether `host` (lower case, no trailing dot) may be called: a public IP literal or a DNS name
    that is not local. Numeric forms other than dotted quads (2130706433, 0x7f.1, 127.1) are refused:
    resolvers read them as addresses."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None:
        last = host.rsplit(".", 1)[-1]
        if not host or "%" in host or last.isdigit() or last.startswith("0x") or ":" in host:
            return False
        return not any(host == name or host.endswith("." + name) for name in _LOCAL_NAMES)
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in net for net in _EMBEDDING_V4[:2]):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded.is_global and not embedded.is_multicast
    return address.is_global and not address.is_multicast


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
