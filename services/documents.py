"""Documents attached to a task's form: stored outside the workflow JSON, read under need-to-know.

Task data holds only a document's public id (a random uuid4, so ids cannot be guessed or counted).
The sha256 is computed on receipt and a document is never overwritten: a corrected file is a new
document. The declared content type must be on the allowlist AND match the file's first bytes, so a
script cannot be uploaded as "text/plain" or "image/png" and later served back as something else.
Every download is a read of case data and is written to the access log in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from forms import form_keys
from services.access import can_see_case, may_work_lane
from services.access_log import Via, record_read
from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.projection import audit
from services.task_detail import check_may_work, form_of
from services.uow import UnitOfWork
from store.models import Case, Document, HumanTask, ProcessInstance

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Allowed content types and the bytes such a file starts with (None: checked separately).
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": None,
    DOCX: (b"PK\x03\x04",),
}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class DocumentInfo:
    public_id: str
    case_id: int | None
    task_id: str | None
    field: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    task_title: str | None = None  # the task's label, where a listing joined it


@dataclass(frozen=True)
class DocumentContent:
    info: DocumentInfo
    content: bytes


def document_info(row: Document, task_title: str | None = None) -> DocumentInfo:
    """The metadata of a stored document (never its bytes)."""
    return DocumentInfo(
        row.public_id,
        row.case_id,
        row.task_id,
        row.field,
        row.filename,
        row.content_type,
        row.size,
        row.sha256,
        row.uploaded_by,
        row.uploaded_at,
        task_title,
    )


def clean_filename(name: str | None) -> str:
    """The last path segment without control characters, NFC-normalised, at most 300 characters."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE_NAME.sub("", base).strip().lstrip(".")
    return base[-300:] or "unnamed"


def _check_content(content_type: str, content: bytes) -> dict[str, str]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ALLOWED_TYPES:
        return {"file": f"file type {kind or 'unknown'} is not allowed; allowed: {', '.join(ALLOWED_TYPES)}"}
    if not content:
        return {"file": "the file is empty"}
    if len(content) > MAX_DOCUMENT_BYTES:
        return {"file": f"the file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"}
    magic = ALLOWED_TYPES[kind]
    if magic is None:  # text/plain: UTF-8 text without NUL bytes
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return {"file": "a text file must be UTF-8"}
        if b"\x00" in content:
            return {"file": "the text file contains binary data"}
    elif not content.startswith(magic):
        return {"file": f"the file's content is not {kind}"}
    return {}


def new_document(
    task: HumanTask, field: str, filename: str | None, content_type: str, content: bytes, by: str, now: datetime
) -> Document:
    """A new document row for `field` of `task` (the caller adds it): a fresh random public id, the sha256."""
    return Document(
        public_id=str(uuid.uuid4()),
        case_id=task.case_id,
        instance_id=task.instance_id,
        task_id=task.id,
        field=field,
        filename=clean_filename(filename),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=by,
        uploaded_at=now,
    )


def store_document(
    svc: Services,
    actor: Actor,
    task_id: str,
    field: str,
    filename: str | None,
    content_type: str,
    content: bytes,
) -> DocumentInfo:
    """Store a file for `field` of an open task the actor may work; returns its public id and sha256."""
    field = field.strip()
    errors = _check_content(content_type, content)
    if not 1 <= len(field) <= 200:
        errors["field"] = "between 1 and 200 characters"
    if errors:
        raise InvalidInput("the document was not accepted", errors)
    with UnitOfWork(svc.sessions, write=True) as uow:
        task = uow.session.get(HumanTask, str(task_id)[:36])
        if task is None:
            raise NotFound(f"no task {task_id}")
        instance = uow.session.get(ProcessInstance, task.instance_id)
        assert instance is not None  # foreign key
        check_may_work(uow.session, actor, task, instance)
        if task.status != "open":
            raise Conflict("this task is no longer open")
        if task.assignee not in (None, actor.username):
            raise Conflict(f"this task is claimed by {task.assignee}")
        schema, _ui = form_of(svc, uow.session, instance, task)
        if schema is not None and field.split(".", 1)[0].split("[", 1)[0] not in form_keys(schema):
            raise InvalidInput("unknown field", {"field": "not a field of this task's form"})
        now = svc.now()
        row = new_document(
            task, field, filename, content_type.split(";", 1)[0].strip().lower(), content, actor.username, now
        )
        uow.session.add(row)
        audit(
            uow.session,
            actor=actor.username,
            action="document_uploaded",
            now=now,
            row=instance,
            task_id=task.id,
            element_id=task.bpmn_id,
            details={
                "document": row.public_id,
                "field": field,
                "filename": row.filename,
                "size": row.size,
                "sha256": row.sha256,
            },
        )
        uow.commit()
        return document_info(row)


def _may_read(uow: UnitOfWork, actor: Actor, row: Document) -> bool:
    if row.case_id is not None:
        case = uow.session.get(Case, row.case_id)
        return case is not None and can_see_case(uow.session, actor, case)
    # A document of an instance without a case (a model being tested): its uploader, a supervisor,
    # or whoever may work the task it belongs to.
    if actor.has("supervisor") or row.uploaded_by == actor.username:
        return True
    task = uow.session.get(HumanTask, row.task_id) if row.task_id else None
    instance = uow.session.get(ProcessInstance, task.instance_id) if task is not None else None
    return task is not None and instance is not None and may_work_lane(actor, task.lane, instance.started_by)


def get_document(svc: Services, actor: Actor, public_id: str, *, via: Via) -> DocumentContent:
    """The stored bytes and their metadata; logs the read when the document belongs to a case."""
    try:
        key = str(uuid.UUID(public_id))
    except ValueError as exc:
        raise NotFound(f"no document {public_id}") from exc
    with UnitOfWork(svc.sessions, write=True) as uow:
        row = uow.session.scalars(select(Document).where(Document.public_id == key)).first()
        if row is None:
            raise NotFound(f"no document {public_id}")
        if not _may_read(uow, actor, row):
            raise Forbidden("you may not see this document")
        if row.case_id is not None:
            record_read(uow.session, actor, row.case_id, f"document {row.public_id}", via, at=svc.now())
        uow.commit()
        return DocumentContent(document_info(row), row.content)
