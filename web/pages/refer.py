"""`/refer`: the public, anonymous referral form, and `/refer/status`: what its referrer may learn.

No sign-in. CSRF as on the sign-in form (the pre-session double-submit token, web.csrf). Rate-limited
per client address in the database (services.rate_limits). Nothing is kept in the browser: no
storage API is used, the form has autocomplete off, and every answer is `Cache-Control: no-store`
with `Referrer-Policy: no-referrer`. A quick-exit button (and Esc twice) leaves for a neutral site
with location.replace (web/static/refer.js), so Back does not return here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from services.errors import InvalidInput
from services.public_referrals import submit_public_referral
from services.rate_limits import RateLimited
from services.referrer_notifications import referral_status
from web.i18n import N_
from web.pages.common import ServicesDep, TemplatesDep
from web.pages.refer_form import (
    CHECKBOXES,
    SINGLE_FIELDS,
    TEXT_LIMITS,
    build_document,
    choices,
    field_of,
    read_values,
)
from web.templating import request_language

router = APIRouter(tags=["pages"], include_in_schema=False)

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
MAX_FORM_FIELDS = 100
QUICK_EXIT_URL = "https://www.google.com/search?q=weather"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _render(
    request: Request, templates: TemplatesDep, name: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    headers = dict(PRIVATE)
    if status_code == 429:
        headers["Retry-After"] = str(int(context.get("wait_minutes", 1)) * 60)
    base = {"quick_exit_url": QUICK_EXIT_URL}
    return templates.render(request, name, {**base, **context}, status_code=status_code, headers=headers)


def _form_page(
    request: Request,
    templates: TemplatesDep,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    blank: dict[str, Any] = dict.fromkeys(SINGLE_FIELDS, "") | dict.fromkeys(CHECKBOXES, False)
    context = {
        "values": values or {**blank, "suspected_exploitation": []},
        "errors": errors or {},
        "choices": choices(request_language(request)),
        "limits": TEXT_LIMITS,
    }
    return _render(request, templates, "refer/form.html.j2", context, status_code=status_code)


def _limited(request: Request, templates: TemplatesDep, exc: RateLimited) -> Response:
    context = {"wait_minutes": exc.wait_minutes}
    return _render(request, templates, "refer/limited.html.j2", context, status_code=429)


@router.get("/refer")
def referral_form(request: Request, templates: TemplatesDep) -> Response:
    return _form_page(request, templates)


@router.post("/refer")
async def submit_referral_form(request: Request, svc: ServicesDep, templates: TemplatesDep) -> Response:
    """Validate on the server (errors next to each field, input kept: 422), then submit: the receipt
    shows the reference and the one-time status code."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    try:
        values = read_values(form, lambda name: [v for v in form.getlist(name) if isinstance(v, str)])
    finally:
        await form.close()

    def tr(message: str, **params: object) -> str:
        return templates.tr(request, message, **params)

    doc, errors = build_document(values, svc.now().date(), tr, request_language(request))
    if doc is None:
        return _form_page(request, templates, values, errors, status_code=422)
    try:
        receipt = await run_in_threadpool(submit_public_referral, svc, doc, address=_address(request))
    except RateLimited as exc:
        return _limited(request, templates, exc)
    except InvalidInput as exc:  # a rule of the referral itself: the only one is "born after today"
        found = {field_of(tuple(path.split("."))): tr(N_("Cannot be later than today.")) for path in exc.errors}
        return _form_page(request, templates, values, found or {"_form": tr(N_("Check this field."))}, status_code=422)
    context = {"reference": receipt.reference, "status_code": receipt.status_code}
    return _render(request, templates, "refer/receipt.html.j2", context)


@router.get("/refer/status")
def status_form(request: Request, templates: TemplatesDep) -> Response:
    return _render(request, templates, "refer/status.html.j2", {"reference": "", "result": None, "not_found": False})


@router.post("/refer/status")
def status_lookup(
    request: Request,
    svc: ServicesDep,
    templates: TemplatesDep,
    reference: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """The outcome for a reference and its status code; a wrong code and an unknown reference get the
    same answer, so the page tells nobody which references exist. An over-long value is no match (the
    service cuts both), not a bare 422 page without the quick exit; the body limit bounds them."""
    try:
        result = referral_status(svc, reference, code, address=_address(request))
    except RateLimited as exc:
        return _limited(request, templates, exc)
    context = {"reference": reference.strip()[:20], "result": result, "not_found": result is None}
    return _render(request, templates, "refer/status.html.j2", context, status_code=200)
