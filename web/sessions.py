"""The session cookie and the middleware that turns it into `request.state.actor`, and enforces CSRF.

Per request (static files and /health excluded):
- a bearer-token request is left alone: no cookies involved, so no CSRF (deps.current_actor reads the token);
- the `auttamo_session` cookie is resolved through services.sessions (idle and absolute limits); a live
  session sets `request.state.actor`, `.web_session` and `.csrf_token`; a dead one has its cookie cleared;
- without a live session, a pre-session nonce cookie is issued and `.csrf_token` is its HMAC (web.csrf);
- POST/PUT/PATCH/DELETE must show the token (header or `__csrf` field), else 403. A page request whose
  session died meanwhile is sent to the sign-in page instead; an /api request without a session is
  left to answer 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.context import Services
from services.sessions import SessionInfo, resolve_session
from web.csrf import (
    HEADER,
    PRE_SESSION_COOKIE,
    UNSAFE_METHODS,
    matches,
    new_nonce,
    posted_token,
    pre_session_token,
    read_body,
)

SESSION_COOKIE = "auttamo_session"
SKIPPED_PREFIXES = ("/static/", "/health")

Refusal = Callable[[Request, str], Awaitable[Response]]


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


def secure_cookies(scope: Scope, services: Services) -> bool:
    """Secure cookies over https, and always in production (TLS ends at a proxy there)."""
    return scope.get("scheme") == "https" or services.settings.is_production


def cookie_header(name: str, value: str, *, secure: bool, delete: bool = False) -> bytes:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/; a session cookie, or an expired one to delete."""
    jar: SimpleCookie = SimpleCookie()
    jar[name] = "" if delete else value
    morsel = jar[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    if delete:
        morsel["max-age"] = 0
        morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    return morsel.OutputString().encode("latin-1")


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, token, secure=secure).decode("latin-1"))


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, "", secure=secure, delete=True).decode())


def session_of(request: Request) -> SessionInfo | None:
    value = getattr(request.state, "web_session", None)
    return value if isinstance(value, SessionInfo) else None


def login_url(next_path: str, *, expired: bool = False) -> str:
    return "/login?next=" + quote(next_path, safe="/") + ("&expired=1" if expired else "")


class SessionMiddleware:
    """See the module docstring. `refuse` renders the 403 answer (HTML for pages, JSON for /api)."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(SKIPPED_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            await self.app(scope, receive, send)
            return
        services: Services = request.app.state.services
        secure = secure_cookies(scope, services)
        cookies: list[bytes] = []
        token = request.cookies.get(SESSION_COOKIE)
        session = await run_in_threadpool(resolve_session, services, token) if token else None
        state = scope.setdefault("state", {})
        if session is not None:
            state.update(actor=session.actor, web_session=session, csrf_token=session.csrf_token, session_token=token)
            expected: str | None = session.csrf_token
        else:
            if token:
                cookies.append(cookie_header(SESSION_COOKIE, "", secure=secure, delete=True))
            nonce = request.cookies.get(PRE_SESSION_COOKIE) or ""
            if (len(nonce) < 32 or len(nonce) > 100) and not is_api(path):  # API clients get no cookies
                nonce = new_nonce()
                cookies.append(cookie_header(PRE_SESSION_COOKIE, nonce, secure=secure))
            expected = pre_session_token(services.settings.secret_key, nonce)
            state.update(csrf_token=expected)
        if scope["method"] in UNSAFE_METHODS and not (session is None and is_api(path)):
            given = request.headers.get(HEADER)
            if not matches(expected, given):
                body, receive = await read_body(receive)
                given = await posted_token(scope, body)
            if not matches(expected, given):
                if token and session is None and not is_api(path):
                    response: Response = RedirectResponse(login_url(path, expired=True), status_code=303)
                else:
                    response = await self.refuse(request, "The form was stale or did not come from this site.")
                await _send_with_cookies(response, cookies, scope, receive, send)
                return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and cookies:
                message["headers"] = [*message.get("headers", []), *((b"set-cookie", c) for c in cookies)]
            await send(message)

        await self.app(scope, receive, send_with_cookies)


async def _send_with_cookies(
    response: Response, cookies: list[bytes], scope: Scope, receive: Receive, send: Send
) -> None:
    for cookie in cookies:
        response.headers.append("set-cookie", cookie.decode("latin-1"))
    await response(scope, receive, send)
