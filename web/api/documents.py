"""Documents: upload a file for a task's form field, download one (need-to-know, logged).

Downloads are always `attachment` with `nosniff`, so a browser never renders an uploaded file inside
the application's origin.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from services.documents import MAX_DOCUMENT_BYTES, get_document, store_document
from web.api.schemas_tasks import DocumentRead
from web.deps import ActorDep, ServicesDep

router = APIRouter(tags=["documents"])


@router.post("/tasks/{task_id}/documents", response_model=DocumentRead, status_code=status.HTTP_201_CREATED)
async def upload_document(
    task_id: str,
    actor: ActorDep,
    svc: ServicesDep,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, plain text or DOCX; at most 10 MB")],
    field: Annotated[str, Form(min_length=1, max_length=200, description="the form field the file belongs to")],
) -> DocumentRead:
    """Store the file (sha256 on receipt); put the returned `id` in the task data when completing."""
    content = await file.read(MAX_DOCUMENT_BYTES + 1)  # one byte over the limit is enough to refuse it
    info = await run_in_threadpool(
        store_document,
        svc,
        actor,
        task_id,
        field,
        file.filename,
        file.content_type or "application/octet-stream",
        content,
    )
    return DocumentRead.of(info)


def _disposition(filename: str) -> str:
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/documents/{public_id}",
    response_class=Response,
    responses={200: {"description": "the file's bytes", "content": {"application/octet-stream": {}}}},
)
async def download_document(public_id: str, actor: ActorDep, svc: ServicesDep) -> Response:
    """The stored bytes as an attachment; the read is written to the access log."""
    doc = await run_in_threadpool(lambda: get_document(svc, actor, public_id, via="api"))
    return Response(
        content=doc.content,
        media_type=doc.info.content_type,
        headers={
            "Content-Disposition": _disposition(doc.info.filename),
            "X-Content-Type-Options": "nosniff",
            "X-Document-Sha256": doc.info.sha256,
        },
    )
