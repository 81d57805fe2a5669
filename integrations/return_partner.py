"""The return partner (the role IOM plays in Finland): receives assisted voluntary return requests."""

from __future__ import annotations

from typing import Any

import httpx

from integrations.errors import PartnerRejected, PartnerUnavailable


class ReturnPartnerClient:
    def __init__(self, base_url: str, http: httpx.Client, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.token = token

    def send_request(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """POST a return request; the idempotency key makes a retried call safe for the partner."""
        headers = {"Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.http.post(f"{self.base_url}/return-requests", json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(f"return partner unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise PartnerUnavailable(f"return partner answered {response.status_code}")
        if response.status_code >= 400:
            raise PartnerRejected(f"return partner refused the request: {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {"response": body}
