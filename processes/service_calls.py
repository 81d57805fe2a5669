"""Handlers for service tasks, by the operation name a model gives in `spiffworkflow:serviceTaskOperator`.

The worker calls a handler after the transaction that parked the service task has committed; the
handler's return value becomes the task's result variable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from integrations.errors import PartnerRejected
from integrations.return_partner import ReturnPartnerClient


@dataclass(frozen=True)
class CallContext:
    idempotency_key: str
    http: httpx.Client
    return_partner_url: str | None = None
    return_partner_token: str | None = None


ServiceHandler = Callable[[dict[str, Any], CallContext], Any]


def return_partner_request(params: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    """Send an assisted-voluntary-return request to the configured partner."""
    if not ctx.return_partner_url:
        raise PartnerRejected("AUTTAMO_RETURN_PARTNER_URL is not configured")
    client = ReturnPartnerClient(ctx.return_partner_url, ctx.http, ctx.return_partner_token)
    return client.send_request(params, ctx.idempotency_key)


SERVICE_HANDLERS: dict[str, ServiceHandler] = {
    "return_partner_request": return_partner_request,
}
