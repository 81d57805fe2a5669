"""Human tasks: read, claim, unclaim, assign, save a draft, complete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from engine import (
    FormKeysRejected,
    LaneNotAllowed,
    ScriptError,
    StateUnstorable,
    TaskNotFound,
    TaskNotManual,
    TaskNotReady,
)
from forms import form_keys, storable_errors, validate_form
from processes.lanes import roles_for_lane
from services.access import may_work_lane, require_case_access
from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.letters import freeze_on_signing
from services.projection import audit, data_diff
from services.runtime import lock_task_instance, restore, run_and_save
from services.uow import UnitOfWork
from store.models import HUMAN_TASK_TABLE, Case, HumanTask, ProcessInstance, User


@dataclass(frozen=True)
class CompletionResult:
    task_id: str
    instance_id: int
    case_id: int | None
    instance_status: str
    next_task_ids: list[str]
    incident: str | None  # a script error after the completion, now an incident
    completed: bool = True  # False: the state after it could not be stored; the task stays open


@dataclass(frozen=True)
class TaskDetail:
    row: HumanTask
    schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    data: dict[str, Any]
    instructions: str | None
    is_draft: bool


def _task_row(uow: UnitOfWork, task_id: str, *, lock: bool = False) -> HumanTask:
    """The task row; `lock` takes a row lock on PostgreSQL, so two claims or drafts cannot both
    read 'unclaimed' and both write (SQLite serialises writers anyway)."""
    query = select(HumanTask).where(HumanTask.id == str(task_id)[:36])
    row = uow.session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"no task {task_id}")
    return row


def _check_may_work(uow: UnitOfWork, actor: Actor, task: HumanTask, instance: ProcessInstance) -> None:
    if not may_work_lane(actor, task.lane, instance.started_by):
        raise Forbidden(f"this task belongs to the {task.lane or 'starter'} lane and you hold no role for it")
    if instance.case_id is not None:
        case = uow.session.get(Case, instance.case_id)
        if case is not None:
            require_case_access(uow.session, actor, case)


def _form(
    svc: Services, uow: UnitOfWork, instance: ProcessInstance, task: HumanTask
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    forms = svc.versions.get(uow.session, instance.version_id).forms
    schema = forms.get(task.form_schema) if task.form_schema else None
    ui = forms.get(task.form_ui_schema) if task.form_ui_schema else None
    return schema, ui


def get_task(svc: Services, actor: Actor, task_id: str) -> TaskDetail:
    """The task with its form and current values (the draft if one was saved)."""
    with UnitOfWork(svc.sessions) as uow:
        task = _task_row(uow, task_id)
        instance = uow.session.get(ProcessInstance, task.instance_id)
        assert instance is not None  # FK
        _check_may_work_or_read(uow, actor, task, instance)
        schema, ui = _form(svc, uow, instance, task)
        keys = form_keys(schema) if schema else set()
        instructions: str | None = None
        values: dict[str, Any] = {}
        if task.status == "open":
            view = restore(svc, uow, instance).task(task.id, with_data=True)
            instructions = view.instructions
            values = {k: v for k, v in view.data.items() if k in keys}
        if task.draft is not None:
            return TaskDetail(task, schema, ui, {**values, **task.draft}, instructions, True)
        return TaskDetail(task, schema, ui, values, instructions, False)


def _check_may_work_or_read(uow: UnitOfWork, actor: Actor, task: HumanTask, instance: ProcessInstance) -> None:
    if actor.has("supervisor") or task.completed_by == actor.username:
        return
    _check_may_work(uow, actor, task, instance)


def _workable(uow: UnitOfWork, actor: Actor, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    """An open task this actor may work and that nobody else has claimed, with its instance."""
    task = _task_row(uow, task_id, lock=True)
    instance = uow.session.get(ProcessInstance, task.instance_id)
    assert instance is not None  # foreign key
    _check_may_work(uow, actor, task, instance)
    if task.status != "open":
        raise Conflict("this task is no longer open")
    if task.assignee not in (None, actor.username):
        raise Conflict(f"this task is already claimed by {task.assignee}")
    return task, instance


def claim(svc: Services, actor: Actor, task_id: str) -> HumanTask:
    with UnitOfWork(svc.sessions, write=True) as uow:
        task, instance = _workable(uow, actor, task_id)
        task.assignee = actor.username
        audit(
            uow.session,
            actor=actor.username,
            action="task_claimed",
            now=svc.now(),
            row=instance,
            task_id=task.id,
            element_id=task.bpmn_id,
        )
        uow.commit()
        return task


def unclaim(svc: Services, actor: Actor, task_id: str) -> HumanTask:
    with UnitOfWork(svc.sessions, write=True) as uow:
        task = _task_row(uow, task_id, lock=True)
        if task.status != "open":
            raise Conflict("this task is no longer open")
        if task.assignee != actor.username and not actor.has("supervisor"):
            raise Forbidden("only the assignee or a supervisor may release this task")
        task.assignee = None
        audit(
            uow.session,
            actor=actor.username,
            action="task_unclaimed",
            now=svc.now(),
            case_id=task.case_id,
            task_id=task.id,
            element_id=task.bpmn_id,
        )
        uow.commit()
        return task


def assign(svc: Services, actor: Actor, task_id: str, username: str | None) -> HumanTask:
    """A supervisor assigns or reassigns a task (None releases it)."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may assign tasks")
    with UnitOfWork(svc.sessions, write=True) as uow:
        task = _task_row(uow, task_id, lock=True)
        if task.status != "open":
            raise Conflict("this task is no longer open")
        if username is not None:
            user = uow.session.scalars(select(User).where(User.username == username, User.active)).first()
            if user is None:
                raise InvalidInput("unknown user", {"assignee": "No active user with that name."})
            if task.lane is not None and not (roles_for_lane(task.lane) & user.roles):
                raise InvalidInput(
                    "user lacks the lane's role", {"assignee": f"{username} cannot work the {task.lane} lane."}
                )
        previous = task.assignee
        task.assignee = username
        audit(
            uow.session,
            actor=actor.username,
            action="task_assigned",
            now=svc.now(),
            case_id=task.case_id,
            task_id=task.id,
            element_id=task.bpmn_id,
            details={"from": previous, "to": username},
        )
        uow.commit()
        return task


def save_draft(svc: Services, actor: Actor, task_id: str, data: dict[str, Any]) -> HumanTask:
    """Keep unfinished form input on the server; 'save and close' comes back to it."""
    with UnitOfWork(svc.sessions, write=True) as uow:
        task, instance = _workable(uow, actor, task_id)
        schema, _ui = _form(svc, uow, instance, task)
        extra = sorted(set(data) - (form_keys(schema) if schema else set()))
        if extra:
            raise InvalidInput("fields not on this form", dict.fromkeys(extra, "This field is not on the form."))
        unstorable = storable_errors(data)
        if unstorable:
            raise InvalidInput("the draft cannot be stored", unstorable)
        task.draft = data
        task.draft_saved_at = svc.now()
        uow.commit()
        return task


def _adopt_case(uow: UnitOfWork, actor: Actor, instance: ProcessInstance) -> None:
    """A fresh referral belongs to no team; the team of the intake officer who first works it
    takes it on, so its caseworkers can see the case from then on."""
    if instance.case_id is None or actor.team_id is None or not actor.has("intake"):
        return
    case = uow.session.get(Case, instance.case_id)
    if case is not None and case.team_id is None:
        case.team_id = actor.team_id


SEPARATE_FROM = "separateFrom"  # task property: the element whose latest completer may not complete this one


def _check_separation(uow: UnitOfWork, actor: Actor, instance: ProcessInstance, element_id: str | None) -> None:
    """The presenter-decider principle: whoever last completed `element_id` in this instance (the
    draft) may not complete this task (the approval)."""
    elements = [e.strip() for e in (element_id or "").split(",") if e.strip()]  # one id, or several
    if not elements:
        return
    last = uow.session.scalars(
        select(HumanTask.completed_by)
        .where(
            HumanTask.instance_id == instance.id,
            HumanTask.bpmn_id.in_(elements),
            HumanTask.status == "completed",
        )
        .order_by(HumanTask.completed_at.desc())
        .limit(1)
    ).first()
    if last == actor.username:
        raise Forbidden("you drafted this; another official must decide on it (presenter-decider principle)")


def complete_task(
    svc: Services, actor: Actor, task_id: str, data: dict[str, Any], *, lang: str = "en"
) -> CompletionResult:
    """Validate the form data, complete the task in the engine, project, and commit — or change nothing.
    Field errors are worded in `lang` (the page's language; the JSON API keeps English)."""
    with UnitOfWork(svc.sessions, write=True) as uow:
        # The lock (PostgreSQL) makes a racing completion wait here; it then restores the state the
        # winner committed, where the engine no longer finds the task READY: a Conflict, not a repeat.
        task, instance = lock_task_instance(uow, task_id)
        if task.status != "open":
            raise Conflict("this task has already been completed or cancelled; reload to see the current state")
        if instance.status == "suspended":
            raise Conflict("a supervisor has suspended this process; it can be worked again once resumed")
        _check_may_work(uow, actor, task, instance)
        if task.assignee not in (None, actor.username):
            raise Conflict(f"this task is claimed by {task.assignee}")
        _adopt_case(uow, actor, instance)
        schema, _ui = _form(svc, uow, instance, task)
        if schema is not None:
            errors = validate_form(schema, data, lang=lang)
            if errors:
                raise InvalidInput("the form has errors", errors)
        allowed = form_keys(schema) if schema else set()
        engine_instance = restore(svc, uow, instance, reuse=True)
        current = engine_instance.task(task.id, with_data=True)
        _check_separation(uow, actor, instance, current.properties.get(SEPARATE_FROM))
        before = current.data
        try:
            outcome, opened = run_and_save(
                svc,
                uow,
                instance,
                engine_instance,
                lambda inst: inst.complete_task(
                    task.id,
                    data,
                    allowed_keys=allowed,
                    lane_allowed=lambda lane: may_work_lane(actor, lane, instance.started_by),
                ),
                actor=actor.username,
                handled=frozenset({task.id}),
            )
        except (TaskNotFound, TaskNotReady, TaskNotManual) as exc:
            raise Conflict(str(exc)) from exc
        except LaneNotAllowed as exc:
            raise Forbidden(str(exc)) from exc
        except FormKeysRejected as exc:
            raise InvalidInput(str(exc), dict.fromkeys(exc.keys, "This field is not on the form.")) from exc
        if isinstance(outcome, StateUnstorable):  # nothing of the completion kept; an incident instead
            uow.commit()
            return CompletionResult(task.id, instance.id, instance.case_id, instance.status, [], str(outcome), False)
        now = svc.now()
        uow.session.execute(
            update(HUMAN_TASK_TABLE)
            .where(HUMAN_TASK_TABLE.c.id == task.id)
            .values(status="completed", completed_at=now, completed_by=actor.username, draft=None)
        )
        audit(
            uow.session,
            actor=actor.username,
            action="task_completed",
            now=now,
            row=instance,
            task_id=task.id,
            element_id=task.bpmn_id,
            # `changes` is the history; `submitted` is what the form said, unchanged pre-filled values included
            # (the read-only view of the completed task shows it). Audit details are sealed at rest.
            details={"changes": data_diff(before, data), "submitted": data},
        )
        freeze_on_signing(svc, uow.session, actor, task, {**before, **data}, now)  # a decider's signature: the letter
        uow.commit()
        svc.engine.keep(instance.id, engine_instance)  # committed: the next completion need not restore it
        return CompletionResult(
            task.id,
            instance.id,
            instance.case_id,
            instance.status,
            opened,
            str(outcome) if isinstance(outcome, ScriptError) else None,
        )
