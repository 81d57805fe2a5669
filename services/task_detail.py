"""Open one task: its inbox row, form, current values or draft, and rendered instructions.

This is `services.tasks.get_task` plus what the JSON API and the task page need: the access-log
entry (task data is case data, so opening a task is logged in the same transaction as the read),
instructions rendered against the full task data, and the inbox row. Who may open a task is the same
as in services/tasks.py: whoever may work it, the one who completed it, or a supervisor.

A task that is no longer open is read-only. Its completer and supervisors see the values it was
completed with: the form data recorded in its `task_completed` audit row (older rows: the fields that
completion set or changed), limited to the form's own keys. Others who may open it see the form without values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import form_keys
from processes.task_panels import PanelSpec, panels_for
from services.access import may_work_lane, require_case_access
from services.access_log import Via, record_read
from services.context import Actor, Services
from services.errors import Forbidden, NotFound
from services.inbox import InboxRow, row_of, row_select
from services.instructions import render_instructions
from services.protection import redact_for
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import AuditEvent, Case, HumanTask, ProcessInstance


@dataclass(frozen=True)
class TaskDetailView:
    row: InboxRow
    schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    data: dict[str, Any]  # the form's own keys only: current values, overlaid by the draft
    instructions: str | None
    is_draft: bool
    draft_saved_at: datetime | None
    read_only: bool = False  # not open any more: shown, never posted
    panels: tuple[PanelSpec, ...] = ()  # what the page shows beside the form (services/task_panels.py)


def check_may_work(session: Session, actor: Actor, task: HumanTask, instance: ProcessInstance) -> None:
    """The lane's roles (or the starter for a lane-less task), and need-to-know on the task's case."""
    if not may_work_lane(actor, task.lane, instance.started_by):
        raise Forbidden(f"this task belongs to the {task.lane or 'starter'} lane and you hold no role for it")
    if instance.case_id is not None:
        case = session.get(Case, instance.case_id)
        if case is not None:
            require_case_access(session, actor, case)


def check_may_read(session: Session, actor: Actor, task: HumanTask, instance: ProcessInstance) -> None:
    if actor.has("supervisor") or (task.completed_by is not None and task.completed_by == actor.username):
        return
    check_may_work(session, actor, task, instance)


def form_of(
    svc: Services, session: Session, instance: ProcessInstance, task: HumanTask
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The task's JSON Schema and UI schema, from its (immutable, cached) process version."""
    forms = svc.versions.get(session, instance.version_id).forms
    schema = forms.get(task.form_schema) if task.form_schema else None
    ui = forms.get(task.form_ui_schema) if task.form_ui_schema else None
    return schema, ui


def read_task(svc: Services, actor: Actor, task_id: str, *, via: Via) -> TaskDetailView:
    """The task as its worker sees it; logs the read when the task belongs to a case."""
    with UnitOfWork(svc.sessions, write=True) as uow:
        found = uow.session.execute(row_select().where(HumanTask.id == str(task_id)[:36])).first()
        if found is None:
            raise NotFound(f"no task {task_id}")
        task, reference, version = found
        instance = uow.session.get(ProcessInstance, task.instance_id)
        assert instance is not None  # foreign key
        check_may_read(uow.session, actor, task, instance)
        schema, ui = form_of(svc, uow.session, instance, task)
        keys = form_keys(schema) if schema else set()
        values: dict[str, Any] = {}
        instructions: str | None = None
        panels: tuple[PanelSpec, ...] = ()
        if task.status == "open":
            view = restore(svc, uow, instance).task(task.id, with_data=True)
            panels = panels_for(view.process_id, task.bpmn_id, view.properties)
            seen = redact_for(uow.session, actor, task.case_id, view.data)  # safe address: services/protection.py
            values = {k: v for k, v in seen.items() if k in keys}
            instructions = render_instructions(view.instructions, seen)
        elif task.status == "completed" and (actor.has("supervisor") or task.completed_by == actor.username):
            values = completed_values(uow.session, task, keys)
        data = {**values, **task.draft} if task.draft is not None else values
        data = redact_for(uow.session, actor, task.case_id, data)
        now = svc.now()
        if task.case_id is not None:
            record_read(uow.session, actor, task.case_id, f"task {task.bpmn_id}", via, at=now)
        uow.commit()
        return TaskDetailView(
            row=row_of(task, reference, version, now),
            schema=schema,
            ui_schema=ui,
            data=data,
            instructions=instructions,
            is_draft=task.draft is not None,
            draft_saved_at=task.draft_saved_at,
            read_only=task.status != "open",
            panels=panels,
        )


def completed_values(session: Session, task: HumanTask, keys: set[str]) -> dict[str, Any]:
    """The values `task` was completed with (its audit row's new values), the form's keys only."""
    details = session.scalars(
        select(AuditEvent.details)
        .where(
            AuditEvent.instance_id == task.instance_id,  # indexed; task_id narrows it to the one row
            AuditEvent.task_id == task.id,
            AuditEvent.action == "task_completed",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if not isinstance(details, dict):
        return {}
    submitted = details.get("submitted")
    if isinstance(submitted, dict):
        return {k: v for k, v in submitted.items() if k in keys}
    changes = details.get("changes")  # completed before `submitted` was recorded: what it changed
    if not isinstance(changes, dict):
        return {}
    return {k: c.get("new") for k, c in changes.items() if k in keys and isinstance(c, dict)}
