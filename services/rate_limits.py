"""Rate limits of the public pages (the referral form and its status page), kept in the database.

The same approach as the sign-in limit (services/sessions.py): every counted use is a row, and a
request is refused while the rows of its client address within the sliding window reach the limit.
Rows in the database, not memory, so N web processes share one count. The address is stored only
as a keyed hash (HMAC with the secret key): the limit works, but the table does not log who referred.
"""

from __future__ import annotations

import hashlib
import hmac
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
    return hmac.new(secret, f"rate-limit:{address[:64]}".encode(), hashlib.sha256).hexdigest()


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
