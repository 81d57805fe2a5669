"""Sign in, sign out, the language switch, and `/` (to the inbox or the sign-in page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.errors import Unauthenticated
from services.inbox import may_use_inbox
from services.sessions import TooManyAttempts, sign_in, sign_out
from services.users import set_locale
from web.flash import flash
from web.i18n import LANG_COOKIE, LANGUAGES
from web.pages.common import ServicesDep, TemplatesDep, redirect, safe_next
from web.sessions import clear_session_cookie, secure_cookies, session_of, set_session_cookie

router = APIRouter(tags=["pages"], include_in_schema=False)

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


@router.get("/")
def home(request: Request) -> Response:
    """Where a person starts: the inbox; without one, the user admin (admins) or the statistics
    (statisticians)."""
    session = session_of(request)
    if session is None:
        return redirect("/login")
    actor = session.actor
    if not may_use_inbox(actor):
        if actor.has("admin"):
            return redirect("/admin/users")
        if actor.has("statistician"):
            return redirect("/statistics")
    return redirect("/inbox")


def _login_page(
    request: Request,
    templates: TemplatesDep,
    *,
    next_path: str,
    username: str = "",
    error: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    expired = request.query_params.get("expired") == "1"
    context = {"next": next_path, "username": username, "error": error, "expired": expired}
    return templates.render(request, "auth/login.html.j2", context, status_code=status_code, headers=headers)


@router.get("/login")
def login_form(request: Request, templates: TemplatesDep, next: str = "") -> Response:
    if session_of(request):
        return redirect(safe_next(next, default="/"))
    return _login_page(request, templates, next_path=safe_next(next, default=""))


@router.post("/login")
def login(
    request: Request,
    svc: ServicesDep,
    templates: TemplatesDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A new session on success (whatever cookie came in is replaced); the same answer for any failure."""
    target = safe_next(next, default="/")
    address = request.client.host if request.client else "unknown"
    try:
        signed = sign_in(
            svc,
            username,
            password,
            address=address,
            user_agent=request.headers.get("user-agent", ""),
            replaces=getattr(request.state, "session_token", None),
        )
    except TooManyAttempts as exc:
        message = templates.tr(request, "Too many attempts. Wait %(minutes)s minutes.", minutes=exc.wait_minutes)
        headers = {"Retry-After": str(exc.wait_minutes * 60)}
        return _login_page(
            request, templates, next_path=target, username=username, error=message, status_code=429, headers=headers
        )
    except Unauthenticated:
        message = templates.tr(request, "Wrong username or password.")
        return _login_page(request, templates, next_path=target, username=username, error=message, status_code=401)
    response = redirect(target)
    set_session_cookie(response, signed.token, secure=secure_cookies(request.scope, svc))
    if signed.session.locale in LANGUAGES and not request.cookies.get(LANG_COOKIE):
        _set_lang_cookie(request, response, svc, signed.session.locale)
    return response


@router.post("/logout")
def logout(request: Request, svc: ServicesDep, templates: TemplatesDep) -> Response:
    token = getattr(request.state, "session_token", None)
    if token:
        sign_out(svc, token)
    response = redirect("/login")
    clear_session_cookie(response, secure=secure_cookies(request.scope, svc))
    flash(request, response, templates.tr(request, "You have signed out."), "info")
    return response


def _set_lang_cookie(request: Request, response: Response, svc: ServicesDep, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request.scope, svc),
    )


@router.post("/lang")
def choose_language(
    request: Request,
    svc: ServicesDep,
    lang: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Switch the UI language (a cookie); a signed-in person's choice is also remembered on their account."""
    response = redirect(safe_next(next, default="/"))
    if lang in LANGUAGES:
        _set_lang_cookie(request, response, svc, lang)
        session = session_of(request)
        if session is not None and session.locale != lang:
            set_locale(svc, session.actor.username, lang)
    return response
