"""The referrer learns only "received", later "admitted" / "not admitted" (DESIGN.md section 1).

The decision process throws `notify_referrer` with `{case_reference, outcome}`. When the outbox runs
that message, `record_outcome` keeps a notification row (reference, outcome, when) that the public
status page reads, and, for a partner-system referral with a webhook (services.referrer_channels),
queues one more outbox item that POSTs the same yes/no with retry, back-off and an idempotency key;
a webhook that keeps failing becomes an incident like any partner call. An appeal that changes the
decision throws the message again: the latest notification is the answer.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from integrations.errors import PartnerRejected
from integrations.referrer_webhook import ReferrerWebhookClient
from services.context import Services
from services.projection import audit
from services.rate_limits import take_slot
from services.referrer_channels import callback_url_problem, code_digest, webhook_url
from services.uow import UnitOfWork
from store.models import OutboxItem, ReferrerChannel, ReferrerNotification

REFERRER_MESSAGE = "notify_referrer"  # the decision process's outbound message
WEBHOOK_KIND = "webhook"  # outbox kind of the POST to a referrer's webhook
WEBHOOK_NAME = "referrer_outcome"
OUTCOMES = {"admitted": "admitted", "rejected": "not_admitted"}  # decision outcome -> what the referrer hears
STATUS_BUCKET = "referral_status"
_NO_CODE = "0" * 64  # compared against when the reference has no code: the same work, never a match


@dataclass(frozen=True)
class ReferralStatus:
    reference: str
    status: str  # received | admitted | not_admitted
    changed_at: datetime | None


def record_outcome(svc: Services, *, outbox_id: int, payload: Any) -> dict[str, Any]:
    """Record that the referrer is told the outcome (once per outbox message) and queue its webhook."""
    body = payload if isinstance(payload, dict) else {}
    reference, outcome = body.get("case_reference"), OUTCOMES.get(str(body.get("outcome")))
    if not isinstance(reference, str) or not reference or outcome is None:
        return {"referrer": "nothing to tell"}
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        session = uow.session
        if session.scalar(select(ReferrerNotification.id).where(ReferrerNotification.source_outbox_id == outbox_id)):
            return {"referrer": "already told"}  # a repeated run of the same message
        source = session.get(OutboxItem, outbox_id)
        if source is None:
            return {"referrer": "nothing to tell"}
        session.add(
            ReferrerNotification(reference=reference[:20], outcome=outcome, notified_at=now, source_outbox_id=outbox_id)
        )
        channel = session.scalars(select(ReferrerChannel).where(ReferrerChannel.reference == reference)).first()
        url = webhook_url(svc.settings, channel)
        if url:
            session.add(
                OutboxItem(
                    instance_id=source.instance_id,
                    case_id=source.case_id,
                    kind=WEBHOOK_KIND,
                    name=WEBHOOK_NAME,
                    payload={"url": url, "reference": reference, "outcome": outcome},
                    idempotency_key=f"referrer-outcome:{outbox_id}",
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        audit(
            session,
            actor="worker",
            action="referrer_notified",
            now=now,
            case_id=source.case_id,
            details={"outcome": outcome, "channel": channel.channel if channel else None, "webhook": bool(url)},
        )
        uow.commit()
    return {"referrer": outcome, "webhook": bool(url)}


def send_webhook(svc: Services, payload: dict[str, Any], idempotency_key: str) -> dict[str, object]:
    """Run by the outbox after commit: POST {reference, outcome} to the referrer's webhook.

    The bearer token AUTTAMO_REFERRER_WEBHOOK_TOKEN belongs to the operator's gateway and goes only
    there, never to a URL a partner named. A partner's URL is checked again before the call (a row
    queued before the rules tightened, or before the allowed hosts changed, is refused, not sent)."""
    url, gateway = str(payload["url"]), svc.settings.referrer_webhook_url
    if url != gateway:
        problem = callback_url_problem(svc.settings, url)
        if problem is not None:
            raise PartnerRejected(f"the referrer's callback URL is refused: {problem}")
    token = svc.settings.referrer_webhook_token if url == gateway else None
    with svc.http_client() as http:
        client = ReferrerWebhookClient(http, token)
        return client.notify(url, str(payload["reference"]), str(payload["outcome"]), idempotency_key)


def referral_status(svc: Services, reference: str, code: str, *, address: str) -> ReferralStatus | None:
    """The status of a referral for whoever holds its reference and status code; None for a wrong code
    and for an unknown reference alike (no oracle). Every look-up counts against the address's limit."""
    s = svc.settings
    take_slot(
        svc,
        STATUS_BUCKET,
        address,
        limit=s.referral_status_max_per_address,
        window_minutes=s.public_referral_window_minutes,
    )
    reference = reference.strip().upper()[:20]
    given = code_digest(code)
    with UnitOfWork(svc.sessions) as uow:
        channel = uow.session.scalars(select(ReferrerChannel).where(ReferrerChannel.reference == reference)).first()
        stored = channel.status_code_sha256 if channel is not None else None
        # The comparison runs whether or not the reference has a code, so both failures cost the same.
        matched = hmac.compare_digest(stored or _NO_CODE, given)
        if not matched or stored is None:
            return None
        latest = uow.session.scalars(
            select(ReferrerNotification)
            .where(ReferrerNotification.reference == reference)
            .order_by(ReferrerNotification.notified_at.desc(), ReferrerNotification.id.desc())
            .limit(1)
        ).first()
    if latest is None:
        return ReferralStatus(reference, "received", None)
    return ReferralStatus(reference, latest.outcome, latest.notified_at)
