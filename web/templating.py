"""Jinja2 for the pages: one autoescaping environment per UI language, with gettext installed.

Templates come from web/templates, then forms.template_dir() (the widget macros). Every page gets
`lang`, `me` (the session or None), `csrf_token`, `nav`, `flashes`, `static()` and date filters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

import forms
from services.inbox import may_use_inbox
from services.sessions import SessionInfo
from web.flash import clear_flash, read_flash
from web.form_messages import translate_errors
from web.i18n import LANG_COOKIE, LANGUAGE_NAMES, LANGUAGES, N_, Catalogs, choose_language, format_moment
from web.sessions import session_of

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # a message id, translated by the template
    testid: str


NAV: tuple[tuple[NavItem, frozenset[str]], ...] = (
    (NavItem("/inbox", N_("Inbox"), "nav-inbox"), frozenset()),
    (
        NavItem("/consultations", N_("Consultations"), "nav-consultations"),
        frozenset({"intake", "caseworker", "supervisor"}),
    ),
    (NavItem("/monitoring", N_("Monitoring"), "nav-monitoring"), frozenset({"supervisor"})),
    (NavItem("/monitoring/instances", N_("Process instances"), "nav-instances"), frozenset({"process_owner"})),
    (NavItem("/processes", N_("Processes"), "nav-processes"), frozenset({"process_owner", "supervisor"})),
    (NavItem("/statistics", N_("Statistics"), "nav-statistics"), frozenset({"supervisor", "statistician"})),
    (NavItem("/supervision/access-log", N_("Access log"), "nav-access-log"), frozenset({"supervisor"})),
    (NavItem("/admin/users", N_("Users"), "nav-users"), frozenset({"admin"})),
    (NavItem("/admin/teams", N_("Teams"), "nav-teams"), frozenset({"admin"})),
)


def _may_see(item: NavItem, needs: frozenset[str], me: SessionInfo) -> bool:
    if item.href == "/inbox":
        return may_use_inbox(me.actor)
    return not needs or bool(needs & me.actor.roles)


def request_language(request: Request) -> str:
    session = session_of(request)
    return choose_language(
        request.cookies.get(LANG_COOKIE),
        session.locale if session else None,
        request.headers.get("accept-language"),
    )


def _static_versions() -> dict[str, str]:
    """A content hash per static file, appended as ?v= so browsers may cache them safely."""
    return {
        p.relative_to(STATIC_DIR).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:10]
        for p in STATIC_DIR.rglob("*")
        if p.is_file()
    }


@jinja2.pass_context
def _moment(ctx: jinja2.runtime.Context, value: datetime | None, what: str = "datetime") -> str:
    return format_moment(value, str(ctx.get("lang", "fi")), what=what)


class Templates:
    """Renders pages in the request's language; built once by the app factory."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        loader = jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(TEMPLATE_DIR), jinja2.FileSystemLoader(forms.template_dir())]
        )
        versions = _static_versions()

        def static(name: str) -> str:
            return f"/static/{name}" + (f"?v={versions[name]}" if name in versions else "")

        self._by_lang: dict[str, Jinja2Templates] = {}
        for lang in LANGUAGES:
            env = jinja2.Environment(
                loader=loader,
                autoescape=True,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(catalogs.get(lang), newstyle=True)  # type: ignore[attr-defined]
            env.globals["static"] = static
            env.filters["moment"] = _moment
            self._by_lang[lang] = Jinja2Templates(env=env)

    def tr(self, request: Request, message: str, **params: object) -> str:
        """`message` in the request's language (extracted for translation like gettext: keyword `tr`, argument 2)."""
        return self.catalogs.gettext(request_language(request), message, **params)

    def errors(self, request: Request, errors: Mapping[str, str]) -> dict[str, str]:
        """Field errors (from forms or the services) in the request's language."""
        return translate_errors(self.catalogs, request_language(request), errors)

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        lang = request_language(request)
        me: SessionInfo | None = session_of(request)
        base: dict[str, Any] = {
            "lang": lang,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "me": me,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "nav": [item for item, needs in NAV if me and _may_see(item, needs, me)],
            "current_path": request.url.path,
            "current_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "flashes": read_flash(request),
        }
        response = self._by_lang[lang].TemplateResponse(
            request, name, {**base, **(context or {})}, status_code=status_code, headers=headers
        )
        clear_flash(request, response)
        return response
