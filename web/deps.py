"""Request dependencies: the assembled services and the current actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from services.context import Actor, Services
from services.errors import Unauthenticated
from services.users import authenticate_token, cached_token_actor


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_actor(request: Request, svc: ServicesDep) -> Actor:
    """The caller, from a bearer token (systems) or a signed-in session (people)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        if not token or len(token) > 200:
            raise Unauthenticated("invalid or revoked token")
        cached = cached_token_actor(svc, token)  # no thread hop when the token was seen seconds ago
        return cached if cached is not None else await run_in_threadpool(authenticate_token, svc, token)
    session_actor = getattr(request.state, "actor", None)
    if isinstance(session_actor, Actor):
        return session_actor
    raise Unauthenticated("sign in or send a bearer token")


ActorDep = Annotated[Actor, Depends(current_actor)]
