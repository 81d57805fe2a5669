"""Wire the HTML side into the app: templates, page routers, static files, error pages, sessions + CSRF."""

from __future__ import annotations

from fastapi import FastAPI

from web.i18n import Catalogs
from web.pages import admin, admin_teams, auth, cases, error_pages, inbox, static_files, supervision, tasks
from web.sessions import SessionMiddleware
from web.templating import Templates


def install_pages(app: FastAPI) -> None:
    """Call after web.errors.install and before SecurityMiddleware is added (it must stay outermost)."""
    app.state.templates = Templates(Catalogs())
    for module in (auth, inbox, tasks, cases, supervision, admin, admin_teams, static_files):
        app.include_router(module.router)
    for prefix, files in static_files.vendor_apps(app.state.services.settings.project_root):
        app.mount(prefix, files)
    app.mount("/static", static_files.static_app(), name="static")
    error_pages.install(app)
    app.add_middleware(SessionMiddleware, refuse=error_pages.refuse_csrf)
