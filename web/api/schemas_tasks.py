"""Pydantic models of the task, inbox, saved-filter and document endpoints (request and response bodies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.documents import DocumentInfo
from services.inbox import InboxRow, SavedFilterInfo
from services.tasks import CompletionResult


class TaskRow(BaseModel):
    """One inbox row. `name` is the BPMN element id, `title` its label, `process` the process id."""

    id: str
    case_id: int | None
    case_reference: str | None
    process: str
    version: int | None = Field(description="version number of the process the instance runs")
    name: str
    title: str
    lane: str | None
    assignee: str | None
    priority: int = Field(description="higher first; urgent and child cases are at least 10")
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    status: str
    completed_at: datetime | None
    completed_by: str | None
    has_draft: bool

    @classmethod
    def of(cls, row: InboxRow) -> TaskRow:
        return cls(**row.__dict__)


class TaskForm(BaseModel):
    schema_: dict[str, Any] | None = Field(alias="schema", serialization_alias="schema")
    ui_schema: dict[str, Any] | None

    model_config = ConfigDict(populate_by_name=True)


class TaskRead(TaskRow):
    form: TaskForm
    data: dict[str, Any] = Field(description="the form's current values, or the saved draft")
    instructions: str | None = Field(description="instructionsForEndUser rendered with the task data (Markdown)")
    is_draft: bool
    draft_saved_at: datetime | None
    read_only: bool = Field(
        description="the task is no longer open; for its completer and supervisors `data` holds the completed values"
    )


class TaskData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(description="values for the task's form fields")


class TaskAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(max_length=100, description="username, or null to release the task")


class TaskState(BaseModel):
    id: str
    status: str
    assignee: str | None
    draft_saved_at: datetime | None


class CompletionRead(BaseModel):
    task_id: str
    instance_id: int
    case_id: int | None
    instance_status: str
    next_task_ids: list[str]
    incident: str | None = Field(description="a script error after the completion, now an incident")
    completed: bool = Field(
        True, description="false when the process state after it could not be stored: the task stays open, an incident"
    )

    @classmethod
    def of(cls, result: CompletionResult) -> CompletionRead:
        return cls(**result.__dict__)


class InboxFilter(BaseModel):
    """A saved inbox query: the parameters of GET /tasks except `page`."""

    model_config = ConfigDict(extra="forbid")

    scope: str | None = None
    status: str | None = None
    process: str | None = Field(default=None, max_length=200)
    version: int | None = None
    lane: str | None = Field(default=None, max_length=200)
    case_reference: str | None = Field(default=None, max_length=200)
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    sort: str | None = None
    order: str | None = None
    per_page: int | None = None


class SavedFilterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    query: InboxFilter


class SavedFilterRead(BaseModel):
    id: int
    name: str
    query: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, info: SavedFilterInfo) -> SavedFilterRead:
        return cls(**info.__dict__)


class DocumentRead(BaseModel):
    id: str = Field(description="the document's public id; put it in the task data")
    sha256: str
    size: int
    filename: str
    content_type: str
    field: str | None

    @classmethod
    def of(cls, info: DocumentInfo) -> DocumentRead:
        return cls(
            id=info.public_id,
            sha256=info.sha256,
            size=info.size,
            filename=info.filename,
            content_type=info.content_type,
            field=info.field,
        )
