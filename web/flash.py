"""One-shot messages across a redirect ("Task completed"), in a signed cookie read by the next page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from starlette.requests import Request
from starlette.responses import Response

from web.sessions import cookie_header, secure_cookies

FLASH_COOKIE = "auttamo_flash"
KINDS = frozenset({"success", "info", "error"})


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"flash:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def _secret(request: Request) -> str:
    secret: str = request.app.state.services.settings.secret_key
    return secret


def flash(request: Request, response: Response, text: str, kind: str = "success") -> None:
    """Show `text` (already translated) on the next page this browser renders."""
    payload = base64.urlsafe_b64encode(json.dumps([kind, text[:500]]).encode()).decode()
    value = f"{payload}.{_sign(_secret(request), payload)}"
    secure = secure_cookies(request.scope, request.app.state.services)
    response.headers.append("set-cookie", cookie_header(FLASH_COOKIE, value, secure=secure).decode("latin-1"))


def read_flash(request: Request) -> list[tuple[str, str]]:
    """The pending message, if its signature holds (clear_flash then deletes the cookie)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    payload, _, signature = raw.partition(".")
    if not hmac.compare_digest(_sign(_secret(request), payload), signature):
        return []
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []
    if kind not in KINDS or not isinstance(text, str):
        return []
    return [(kind, text)]


def clear_flash(request: Request, response: Response) -> None:
    if request.cookies.get(FLASH_COOKIE):
        secure = secure_cookies(request.scope, request.app.state.services)
        response.headers.append("set-cookie", cookie_header(FLASH_COOKIE, "", secure=secure, delete=True).decode())
