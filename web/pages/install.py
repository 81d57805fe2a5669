"""Wire the HTML side into the app: templates, page routers, static files, error pages, sessions + CSRF."""

from __future__ import annotations

from fastapi import FastAPI

from web.i18n import Catalogs
from web.pages import (
    admin,
    admin_teams,
    auth,
    case_consent,
    cases,
    error_pages,
    inbox,
    modeler,
    modeler_deploy,
    modeler_forms,
    monitoring,
    monitoring_instance,
    process_versions,
    process_versions_import,
    process_versions_migrate,
    static_files,
    statistics,
    supervision,
    tasks,
)
from web.sessions import SessionMiddleware
from web.templating import Templates


def install_pages(app: FastAPI) -> None:
    """Call after web.errors.install and before SecurityMiddleware is added (it must stay outermost)."""
    app.state.templates = Templates(Catalogs())
    pages = (
        auth,
        inbox,
        tasks,
        cases,
        case_consent,
        supervision,
        monitoring,
        monitoring_instance,
        statistics,
        admin,
        admin_teams,
    )
    for module in (*pages, static_files):
        app.include_router(module.router)
    # Process owners' pages; /processes/{process_id} comes last so it does not shadow /processes/import.
    for editor in (process_versions_import, modeler, modeler_forms, modeler_deploy, process_versions_migrate):
        app.include_router(editor.router)
    app.include_router(process_versions.router)
    for prefix, files in static_files.vendor_apps(app.state.services.settings.project_root):
        app.mount(prefix, files)
    app.mount("/static", static_files.static_app(), name="static")
    error_pages.install(app)
    app.add_middleware(SessionMiddleware, refuse=error_pages.refuse_csrf)
