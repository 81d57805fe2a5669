"""The FastAPI app factory. Everything is built here from `Settings`; nothing at import time."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from config import Settings
from services.context import Services
from web import errors
from web.api import process_definitions, process_instances
from web.pages import health
from web.security import SecurityMiddleware


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app; tests pass ready-made `services` (a fake clock, a MockTransport)."""
    settings = settings or Settings.from_env()
    svc = services or Services.build(settings)
    app = FastAPI(title="Auttamo", version="0.1.0", openapi_url="/openapi.json", docs_url="/api/docs", redoc_url=None)
    app.state.services = svc
    api = APIRouter(prefix="/api/v1")
    api.include_router(process_instances.router)
    api.include_router(process_definitions.router)
    app.include_router(api)
    app.include_router(health.router)
    errors.install(app)
    app.add_middleware(SecurityMiddleware)
    return app
