"""Map domain and engine errors to HTTP answers: `{"detail": ...}` with the right status, never a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine import EngineError
from services.errors import (
    Conflict,
    DeploymentRejected,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    Unauthenticated,
)

log = logging.getLogger("auttamo.web")

STATUS = {
    NotFound: 404,
    Unauthenticated: 401,
    Forbidden: 403,
    Conflict: 409,
    InvalidInput: 422,
    DeploymentRejected: 422,
}


def _status(exc: ServiceError) -> int:
    for cls, code in STATUS.items():
        if isinstance(exc, cls):
            return code
    return 400


async def service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    code = _status(exc)
    body: dict[str, object]
    if isinstance(exc, InvalidInput):
        body = {"detail": {"message": str(exc), "errors": exc.errors}}
    elif isinstance(exc, DeploymentRejected):
        body = {"detail": {"message": str(exc), "report": exc.report}}
    else:
        body = {"detail": str(exc)}
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
    return JSONResponse(body, status_code=code, headers=headers)


async def engine_error(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # only the leading source; a body field may itself be named "query"
        errors[".".join(loc) or ""] = str(err.get("msg", "invalid"))
    return JSONResponse({"detail": {"message": "the request is not valid", "errors": errors}}, status_code=422)


async def out_of_range(_request: Request, _exc: Exception) -> JSONResponse:
    """A number past what the database can hold (e.g. an id of 10**30): no such thing exists."""
    return JSONResponse({"detail": "a number in the request is out of range"}, status_code=422)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(EngineError, engine_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OverflowError, out_of_range)
    app.add_exception_handler(DataError, out_of_range)
    app.add_exception_handler(Exception, unexpected_error)
