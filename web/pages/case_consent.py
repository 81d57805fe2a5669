"""`POST /cases/{id}/consent-withdrawal`: the caseworker records that the client withdrew consent.

Interrupts whatever the case's processes are doing (the `consent_withdrawn` message) and cancels
disclosures that rested on consent; see services/consent_withdrawal.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from services.consent_withdrawal import record_withdrawal
from services.errors import InvalidInput
from web.flash import flash
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect

router = APIRouter(include_in_schema=False)


@router.post("/cases/{case_id}/consent-withdrawal")
async def withdraw_consent_page(
    request: Request,
    case_id: int,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    withdrawn_by: Annotated[str, Form(max_length=40)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    response = redirect(f"/cases/{case_id}")
    if confirm != "yes":
        flash(request, response, templates.tr(request, "Tick the box to confirm the withdrawal of consent."), "error")
        return response
    try:
        done = await run_in_threadpool(record_withdrawal, svc, actor, case_id, withdrawn_by)
    except InvalidInput:
        flash(request, response, templates.tr(request, "Choose who withdrew consent."), "error")
        return response
    if done.processes_interrupted:
        text = templates.tr(request, "Consent withdrawn: the case was closed with that exit reason.")
    else:
        text = templates.tr(request, "Consent withdrawn: recorded on the case (no process was running).")
    flash(request, response, text)
    return response
