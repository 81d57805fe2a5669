"""What every HTML page route shares: the signed-in person, role checks, rendering, safe redirects."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.responses import RedirectResponse

from services.context import Actor, Services
from services.errors import Forbidden, Unauthenticated
from services.sessions import SessionInfo
from web.deps import ServicesDep as ServicesDep
from web.sessions import session_of
from web.templating import Templates

__all__ = [
    "ActorPage",
    "ServicesDep",
    "TemplatesDep",
    "page_actor",
    "redirect",
    "require_role",
    "safe_next",
]


def get_templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


TemplatesDep = Annotated[Templates, Depends(get_templates)]


def page_session(request: Request) -> SessionInfo:
    """The signed-in person's session; anonymous visitors are sent to the sign-in page (see error_pages)."""
    session = session_of(request)
    if session is None:
        raise Unauthenticated("sign in to continue")
    return session


def page_actor(request: Request) -> Actor:
    return page_session(request).actor


ActorPage = Annotated[Actor, Depends(page_actor)]


def require_role(actor: Actor, *roles: str) -> None:
    if not actor.has(*roles):
        raise Forbidden("this page needs the role " + " or ".join(roles))


def safe_next(target: str | None, default: str = "/inbox") -> str:
    """A local path to go back to after signing in; anything else (other sites, //host, \\) gives `default`."""
    if not target or len(target) > 2000 or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if parts.path in ("/login", "/logout"):
        return default
    return target


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a POST the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


def services_of(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc
