"""The referrer's webhook: a partner system is told a referral's outcome, and nothing else.

The body is exactly `{"reference": "AUT-2026-000123", "outcome": "admitted" | "not_admitted"}`.
The outbox retries with the same `Idempotency-Key`, so the receiver can drop a repeat.
"""

from __future__ import annotations

import httpx

from integrations.errors import PartnerRejected, PartnerUnavailable

RETRYABLE_4XX = frozenset({408, 425, 429})  # the receiver is busy, not refusing


class ReferrerWebhookClient:
    def __init__(self, http: httpx.Client, token: str | None = None) -> None:
        self.http = http
        self.token = token

    def notify(self, url: str, reference: str, outcome: str, idempotency_key: str) -> dict[str, object]:
        """POST the outcome; a network error, timeout, 5xx or 429 is retried, another 4xx is final.

        A redirect is never followed (it could lead the server to an address the URL check refused)
        and is not a delivery: it is final, like a refusal."""
        headers = {"Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"reference": reference, "outcome": outcome}
        try:
            response = self.http.post(url, json=body, headers=headers, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(f"referrer webhook unreachable: {exc.__class__.__name__}") from exc
        except httpx.InvalidURL as exc:  # not an HTTPError; the URL can never work
            raise PartnerRejected("referrer webhook URL is not valid") from exc
        if response.status_code >= 500 or response.status_code in RETRYABLE_4XX:
            raise PartnerUnavailable(f"referrer webhook answered {response.status_code}")
        if response.status_code >= 300:
            raise PartnerRejected(f"referrer webhook refused the notification: {response.status_code}")
        return {"status": response.status_code}
