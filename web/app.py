"""The FastAPI app factory. Everything is built here from `Settings`; nothing at import time."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from config import Settings
from services.context import Services
from web import errors, openapi
from web.api import (
    access_log,
    cases,
    consultations,
    documents,
    letters,
    process_definitions,
    process_instances,
    process_versions,
    protection,
    referrals,
    saved_filters,
    statistics,
    tasks,
)
from web.pages import consultations as consultation_pages
from web.pages import error_pages, health, refer
from web.pages.install import install_pages
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
    api.include_router(process_versions.router)
    api.include_router(tasks.router)
    api.include_router(saved_filters.router)
    api.include_router(cases.router)
    api.include_router(letters.router)  # decision letters under /cases/{id}/decisions
    api.include_router(referrals.router)
    api.include_router(documents.router)
    api.include_router(access_log.router)
    api.include_router(statistics.router)
    api.include_router(protection.router)
    api.include_router(consultations.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(consultation_pages.router)  # sessions and CSRF come with install_pages (middleware)
    app.include_router(refer.router)  # the public referral form: no sign-in
    errors.install(app)
    openapi.install(app)  # the document describes our real error bodies
    install_pages(app)  # HTML pages, sessions and CSRF; SecurityMiddleware stays outermost
    app.add_middleware(SecurityMiddleware, too_large_page=error_pages.too_large_page)
    return app
