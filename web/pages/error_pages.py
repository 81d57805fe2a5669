"""Errors on page routes become HTML pages (never a trace); /api keeps the JSON answers of web.errors.

An anonymous visitor on a page is redirected to /login?next=<where they were going>.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Scope

from engine import EngineError
from services.errors import ServiceError, Unauthenticated
from services.sessions import TooManyAttempts
from web import errors
from web.i18n import N_
from web.security import HEADERS
from web.sessions import is_api, login_url
from web.templating import Templates

log = logging.getLogger("auttamo.web")

TITLES = {
    400: N_("The request could not be handled"),
    403: N_("You do not have access to this page"),
    404: N_("Page not found"),
    405: N_("This action is not available here"),
    409: N_("This changed meanwhile"),
    413: N_("The upload is too large"),
    422: N_("The request was not valid"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
}


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def error_page(request: Request, status: int, detail: str = "", headers: dict[str, str] | None = None) -> Response:
    """The HTML error page for `status` with an optional (already human) detail line."""
    title = TITLES.get(status, TITLES[400] if status < 500 else TITLES[500])
    context = {"status": status, "title": title, "detail": detail}
    return _templates(request).render(request, "errors/error.html.j2", context, status_code=status, headers=headers)


def too_large_page(scope: Scope, limit: int) -> Response:
    """The HTML 413 page SecurityMiddleware sends for an oversized body on a page route. It runs
    outside the session middleware, so the page is in the cookie's or browser's language, signed out."""
    request = Request(scope)
    templates = _templates(request)
    detail = templates.tr(request, "A form may send at most %(size)s MB at a time.", size=round(limit / 2**20, 1))
    return error_page(request, 413, detail)


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = login_url(target)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return Response(status_code=303, headers={"location": url})


CSRF_MESSAGE = N_("The form was out of date or did not come from this site. Go back, reload the page and try again.")


async def refuse_csrf(request: Request, _message: str) -> Response:
    """403 for a missing or wrong CSRF token (called by web.sessions.SessionMiddleware)."""
    if is_api(request.url.path):
        return JSONResponse({"detail": "CSRF token missing or invalid"}, status_code=403)
    return error_page(request, 403, _templates(request).tr(request, CSRF_MESSAGE))


async def service_error(request: Request, exc: Exception) -> Response:
    if is_api(request.url.path):
        return await errors.service_error(request, exc)
    assert isinstance(exc, ServiceError)
    if isinstance(exc, Unauthenticated):
        return to_login(request)
    if isinstance(exc, TooManyAttempts):
        return error_page(request, 429, str(exc), {"Retry-After": str(exc.wait_minutes * 60)})
    return error_page(request, errors._status(exc), str(exc))


async def engine_error(request: Request, exc: Exception) -> Response:
    if is_api(request.url.path):
        return await errors.engine_error(request, exc)
    return error_page(request, 409, str(exc))


async def validation_error(request: Request, exc: Exception) -> Response:
    if is_api(request.url.path):
        return await errors.validation_error(request, exc)
    return error_page(request, 422)


async def http_error(request: Request, exc: Exception) -> Response:
    if is_api(request.url.path):
        return await errors.http_error(request, exc)
    assert isinstance(exc, StarletteHTTPException)
    return error_page(request, exc.status_code, headers=dict(exc.headers) if exc.headers else None)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    if is_api(request.url.path):
        return await errors.unexpected_error(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    # This answer leaves through Starlette's outermost middleware, outside SecurityMiddleware: add the headers.
    headers = {k.decode(): v.decode() for k, v in HEADERS}
    try:
        response = error_page(request, 500)
    except Exception:  # noqa: BLE001 - the error page itself failed: answer with plain HTML
        response = HTMLResponse("<!doctype html><title>500</title><h1>500</h1>", status_code=500)
    response.headers.update(headers)
    return response


def install(app: FastAPI) -> None:
    """Register after web.errors.install: these handlers answer pages and delegate /api to it."""
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(EngineError, engine_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
