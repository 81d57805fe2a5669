"""Middleware: strict security headers and a request body size limit.

Limits: 2 MB for JSON and forms; 25 MB for process files and the API's document uploads; a task
page's own form (POST /tasks/{id}, multipart when it has file fields) may carry a 10 MB document
(services.documents.MAX_DOCUMENT_BYTES) plus the form's other fields. A body past its limit is
refused with 413: JSON under /api, an HTML error page on page routes (when the app gave the
middleware a page renderer). The limit is checked on the declared Content-Length and again while the
body streams in, so a chunked body cannot get past it either.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.documents import MAX_DOCUMENT_BYTES

MAX_BODY_BYTES = 2 * 1024 * 1024  # JSON and forms; uploads of process files get their own limit
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_TASK_PAGE_BYTES = MAX_DOCUMENT_BYTES + MAX_BODY_BYTES  # one 10 MB document and the form's fields
_TASK_PAGE = re.compile(r"/tasks/[^/]+")

TooLargePage = Callable[[Scope, int], Response]  # (scope, limit) -> the HTML 413 page

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# dmn-js sizes its table columns with style attributes. CSP level 3 lets a page allow style *attributes*
# alone (never <style> elements, never scripts); only the DMN editor's page says so.
CSP_WITH_STYLE_ATTRIBUTES = CSP + "; style-src-attr 'unsafe-inline'"

HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]


class SecurityMiddleware:
    """Adds security headers to every response (HSTS only over TLS) and refuses oversized bodies."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY_BYTES,
        max_upload: int = MAX_UPLOAD_BYTES,
        max_task_page: int = MAX_TASK_PAGE_BYTES,
        too_large_page: TooLargePage | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_task_page = max_task_page
        self.too_large_page = too_large_page

    def limit(self, path: str) -> int:
        if _is_upload(path):
            return self.max_upload
        if _TASK_PAGE.fullmatch(path):
            return self.max_task_page
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        tls = scope.get("scheme") == "https"
        started = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in existing]
                if tls:
                    extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        if _has_nul(scope):  # refused, but with the same headers as every answer (no-store above all)
            await _bad_request(send_with_headers)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send_with_headers, limit)
            return
        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if started:  # an answer is already on its way; nothing more can be said
                return
            await self._too_large(scope, receive, send_with_headers, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        page: Response | None = None
        if self.too_large_page is not None and not _is_api(scope["path"]):
            try:
                page = self.too_large_page(scope, limit)
            except Exception:  # noqa: BLE001 - the page failed: answer with the plain JSON 413
                page = None
        if page is None:
            page = Response(_too_large_json(limit), status_code=413, media_type="application/json")
        page.headers["connection"] = "close"  # the rest of the body is not read
        await page(scope, receive, send)


def _is_upload(path: str) -> bool:
    """Process files and task documents (10 MB each) may be larger than a JSON body."""
    return (
        path.startswith("/api/v1/process-definitions")
        or path == "/processes/import"  # SpiffArena folders and zips: the report says what is too large
        or (path.startswith("/api/v1/tasks/") and path.endswith("/documents"))
    )


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past its limit. An HTTPException, so that where the app itself
    reads the body its handlers answer 413 (JSON for /api, the HTML page otherwise); where a
    middleware reads it (the CSRF check), SecurityMiddleware answers."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(413, f"request body too large; the limit is {limit} bytes")


def _too_large_json(limit: int) -> bytes:
    return b'{"detail":"request body too large; the limit is %d bytes"}' % limit


def _has_nul(scope: Scope) -> bool:
    """A NUL byte in the path or query string: no text field may hold one (PostgreSQL refuses them)."""
    query = bytes(scope.get("query_string") or b"").lower()
    return b"%00" in query or b"\x00" in query or "\x00" in scope["path"]


async def _bad_request(send: Send) -> None:
    body = b'{"detail":"the request contains a NUL character"}'
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
