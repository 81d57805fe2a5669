"""Static files: our CSS and JS from web/static, vendor files straight from node_modules (never copied into git)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from web.templating import STATIC_DIR

# URL name under /static/vendor/ -> path inside node_modules (installed by `npm ci`).
VENDOR = {"htmx.min.js": "htmx.org/dist/htmx.min.js"}
# Whole vendor folders (bundles with their CSS and fonts): URL prefix -> folder inside node_modules.
VENDOR_DIRS = {"/static/vendor/bpmn-js": "bpmn-js/dist", "/static/vendor/dmn-js": "dmn-js/dist"}
CACHE_VERSIONED = "public, max-age=31536000, immutable"  # URLs carry ?v=<content hash>
CACHE_PLAIN = "public, max-age=3600"

router = APIRouter(include_in_schema=False)


@router.api_route("/static/vendor/{name}", methods=["GET", "HEAD"])
def vendor_file(name: str, request: Request) -> Response:
    relative = VENDOR.get(name)
    if relative is None:
        raise HTTPException(404)
    path = Path(request.app.state.services.settings.project_root) / "node_modules" / relative
    if not path.is_file():
        raise HTTPException(404)  # `npm ci` not run: pages still work, without the enhancements
    return FileResponse(path, media_type="text/javascript", headers={"cache-control": CACHE_PLAIN})


class CachedStaticFiles(StaticFiles):
    """StaticFiles that lets browsers cache (the security middleware says no-store unless told otherwise)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["cache-control"] = CACHE_VERSIONED if versioned else CACHE_PLAIN
        return response


def static_app() -> StaticFiles:
    return CachedStaticFiles(directory=STATIC_DIR)


def vendor_apps(project_root: Path) -> list[tuple[str, StaticFiles]]:
    """Mounts for the vendor folders; mount them before /static so they win."""
    return [
        (prefix, CachedStaticFiles(directory=project_root / "node_modules" / folder, check_dir=False))
        for prefix, folder in VENDOR_DIRS.items()
    ]
