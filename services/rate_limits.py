"""Rate limits of the public pages (the referral form and its status page), kept in the database.

The same approach as the sign-in limit (services/sessions.py): every counted use is a row, and a
request is refused while the rows of its client address within the sliding window reach the limit.
Rows in the database, not memory, so N web processes share one count. The address is stored only
as a keyed hash (HMAC with the secret key): the limit works, but the table does not log who referred.
An IPv6 client counts by its /64 (`client_of`).

The address is the TCP peer (`auttamo serve` trusts no X-Forwarded-For): behind a reverse proxy every
client has the proxy's address and shares one count, so a deployment behind a proxy must pass the
client address on to the server itself (or limit at the proxy).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from datetime import timedelta

from sqlalchemy import delete, select

from services.context import Services
from services.errors import ServiceError
from services.uow import UnitOfWork
from store.models import RateLimitHit


class RateLimited(ServiceError):
    """Too many uses of a public page from one address; `wait_minutes` until the next one is allowed."""

    def __init__(self, wait_minutes: int) -> None:
        super().__init__(f"too many requests; wait {wait_minutes} minutes")
        self.wait_minutes = wait_minutes


def address_key(svc: Services, address: str) -> str:
    """The keyed hash that stands for a client address in the table."""
    secret = svc.settings.secret_key.encode()
    return hmac.new(secret, f"rate-limit:{client_of(address)}".encode(), hashlib.sha256).hexdigest()


def client_of(address: str) -> str:
    """The unit a limit counts: an IPv4 address, or an IPv6 /64. One subscriber gets a whole /64 and
    may use any of its 2^64 addresses, so counting single IPv6 addresses would limit nobody. An
    IPv4-mapped IPv6 address counts as its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def take_slot(svc: Services, bucket: str, address: str, *, limit: int, window_minutes: int) -> None:
    """Count one use of `bucket` from `address`, or raise RateLimited when the window is full.

    Count and insert happen in one write transaction (SQLite serialises writers; on PostgreSQL two
    racing requests may both pass at the edge, which a limit of this kind tolerates). Rows that have
    left the window are deleted on the way, so the table stays small."""
    if limit <= 0:
        return
    now = svc.now()
    window = timedelta(minutes=window_minutes)
    key = address_key(svc, address)
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket, RateLimitHit.at <= now - window))
        times = uow.session.scalars(
            select(RateLimitHit.at)
            .where(RateLimitHit.bucket == bucket, RateLimitHit.address_key == key)
            .order_by(RateLimitHit.at)
        ).all()
        if len(times) >= limit:
            frees_at = times[len(times) - limit] + window
            uow.commit()  # the clean-up stands
            raise RateLimited(max(1, math.ceil((frees_at - now).total_seconds() / 60)))
        uow.session.add(RateLimitHit(bucket=bucket, address_key=key, at=now))
        uow.commit()
