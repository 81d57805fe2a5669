"""CSRF tokens: where they come from and how a request proves it has one.

- Signed in: the session's own random token (WebSession.csrf_token).
- Not signed in yet (the sign-in form, the language switch): a signed double-submit token. The
  `auttamo_presession` cookie holds a random nonce; the form carries HMAC(secret_key, nonce). A
  cross-site page can neither read the cookie nor compute the HMAC without the secret key.
A request shows its token in the hidden form field `__csrf` (forms ignore names starting with "__")
or, for htmx and fetch calls, in the `X-CSRF-Token` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

FIELD = "__csrf"
HEADER = "x-csrf-token"
PRE_SESSION_COOKIE = "auttamo_presession"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def pre_session_token(secret_key: str, nonce: str) -> str:
    """The token a pre-session form carries for this cookie nonce."""
    return hmac.new(secret_key.encode(), f"pre-session:{nonce}".encode(), hashlib.sha256).hexdigest()


def matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing or empty token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def read_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body (the security middleware bounds its size) and a receive that replays it."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body", False))
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect as usual

    return body, replay


async def posted_token(scope: Scope, body: bytes) -> str | None:
    """The `__csrf` field of a form-encoded or multipart body, if any."""
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=5000):
            if name == FIELD:
                return value
        return None
    if content_type.startswith("multipart/form-data"):

        async def once() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(scope, once).form()
        except (HTTPException, MultiPartException, ValueError):
            return None  # a malformed body carries no token: the request is refused as any other
        try:
            found = form.get(FIELD)
            return found if isinstance(found, str) else None
        finally:
            for item in form.values():
                if isinstance(item, UploadFile):
                    await item.close()
    return None
