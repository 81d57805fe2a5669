"""`/api/v1/cases/{id}/decisions/{decision_id}/letter`: a signed decision's letter as HTML or PDF.

The letter is frozen when the decider signs (services/letters.py); this serves the stored bytes as an
attachment, never cached. An HTML letter carries its own stylesheet in a <style> element: the
application's CSP (`style-src 'self'`) would refuse it, so the response names exactly that stylesheet
by its hash and allows nothing else (no script, no image, no frame, sandboxed), the same policy the
letter repeats in a meta element for when it is opened from disk.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from processes.letters import languages_from
from services.letter_render import letter_csp
from services.letters import get_letter
from web.api.documents import _disposition
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/cases", tags=["cases"])


def letter_links(case_id: int, decision_id: str, language: str) -> dict[str, dict[str, str]]:
    """Download links by language (the decision's own first), then by format."""
    base = f"/api/v1/cases/{case_id}/decisions/{decision_id}/letter"
    return {lang: {f: f"{base}?format={f}&lang={lang}" for f in ("html", "pdf")} for lang in languages_from(language)}


@router.get(
    "/{case_id}/decisions/{decision_id}/letter",
    response_class=Response,
    responses={
        200: {"description": "the letter as an attachment", "content": {"application/pdf": {}, "text/html": {}}},
        403: {"description": "you may not see this case"},
        404: {"description": "no such case, or no decision signed by a decider with this id"},
    },
)
async def decision_letter(
    case_id: int,
    decision_id: Annotated[str, Path(min_length=1, max_length=36)],
    actor: ActorDep,
    svc: ServicesDep,
    fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "pdf",
    lang: Annotated[
        Literal["fi", "en", "sv"] | None, Query(description="default: the language chosen for the decision")
    ] = None,
) -> Response:
    """The letter of a signed admission or removal decision, with the appeal instructions. Logged."""
    letter = await run_in_threadpool(
        lambda: get_letter(svc, actor, case_id, decision_id, fmt=fmt, lang=lang, via="api")
    )
    headers = {
        "Content-Disposition": _disposition(letter.filename),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Document-Sha256": letter.sha256,
        "Content-Language": letter.language,
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = letter_csp(letter.content)
    media_type = "text/html; charset=utf-8" if fmt == "html" else letter.content_type
    return Response(content=letter.content, media_type=media_type, headers=headers)
