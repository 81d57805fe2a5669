"""`/api/v1/tasks`: the inbox, one task with its form, and claim / unclaim / assign / draft / complete.

Routes translate HTTP to service calls and back; every rule (lanes, need-to-know, form validation,
the access log) lives in the services, so the HTML pages get exactly the same behaviour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from services.inbox import MAX_PER_PAGE, InboxQuery, Order, Scope, SortKey, Status, list_tasks
from services.task_detail import read_task
from services.tasks import assign, claim, complete_task, save_draft, unclaim
from web.api.schemas_tasks import CompletionRead, TaskAssign, TaskData, TaskForm, TaskRead, TaskRow, TaskState
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get(
    "",
    response_model=list[TaskRow],
    responses={200: {"description": "one page of rows; `X-Total-Count` holds the number of all matching rows"}},
)
async def read_inbox(
    actor: ActorDep,
    svc: ServicesDep,
    response: Response,
    scope: Scope = "mine",
    status: Status = "open",
    process: Annotated[str | None, Query(max_length=200)] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    lane: Annotated[str | None, Query(max_length=200)] = None,
    case_reference: Annotated[str | None, Query(max_length=200)] = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    overdue: bool = False,
    sort: SortKey = "due",
    order: Order | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> list[TaskRow]:
    """The inbox: `mine` (assigned to me / completed by me), `team` (unclaimed work I may do), `all`
    (supervisor). Default order: oldest deadline first, tasks without one last."""
    query = InboxQuery(
        scope=scope,
        status=status,
        process=process,
        version=version,
        lane=lane,
        case_reference=case_reference,
        due_before=due_before,
        due_after=due_after,
        overdue=overdue,
        sort=sort,
        order=order,
        page=page,
        per_page=per_page,
    )
    result = await run_in_threadpool(list_tasks, svc, actor, query)
    response.headers["X-Total-Count"] = str(result.total)
    response.headers["X-As-Of"] = result.as_of.isoformat()
    return [TaskRow.of(r) for r in result.rows]


@router.get("/{task_id}", response_model=TaskRead)
async def read_one_task(task_id: str, actor: ActorDep, svc: ServicesDep) -> TaskRead:
    """The task row with its form, current values (or draft) and rendered instructions. Logged."""
    view = await run_in_threadpool(lambda: read_task(svc, actor, task_id, via="api"))
    return TaskRead(
        **view.row.__dict__,
        form=TaskForm(schema=view.schema, ui_schema=view.ui_schema),
        data=view.data,
        instructions=view.instructions,
        is_draft=view.is_draft,
        draft_saved_at=view.draft_saved_at,
        read_only=view.read_only,
    )


def _state(task_id: str, status: str, assignee: str | None, draft_saved_at: datetime | None) -> TaskState:
    return TaskState(id=task_id, status=status, assignee=assignee, draft_saved_at=draft_saved_at)


@router.post("/{task_id}/claim", response_model=TaskState)
async def claim_task(task_id: str, actor: ActorDep, svc: ServicesDep) -> TaskState:
    """Take the task; 409 when someone else holds it or it is no longer open."""
    t = await run_in_threadpool(claim, svc, actor, task_id)
    return _state(t.id, t.status, t.assignee, t.draft_saved_at)


@router.post("/{task_id}/unclaim", response_model=TaskState)
async def unclaim_task(task_id: str, actor: ActorDep, svc: ServicesDep) -> TaskState:
    """Give the task back to the team (the assignee or a supervisor)."""
    t = await run_in_threadpool(unclaim, svc, actor, task_id)
    return _state(t.id, t.status, t.assignee, t.draft_saved_at)


@router.post("/{task_id}/assign", response_model=TaskState)
async def assign_task(task_id: str, body: TaskAssign, actor: ActorDep, svc: ServicesDep) -> TaskState:
    """A supervisor assigns the task to someone who holds the lane's role, or releases it (null)."""
    t = await run_in_threadpool(assign, svc, actor, task_id, body.assignee)
    return _state(t.id, t.status, t.assignee, t.draft_saved_at)


@router.put("/{task_id}/draft", response_model=TaskState)
async def put_draft(task_id: str, body: TaskData, actor: ActorDep, svc: ServicesDep) -> TaskState:
    """Keep unfinished input on the server (not validated beyond the form's own keys)."""
    t = await run_in_threadpool(save_draft, svc, actor, task_id, body.data)
    return _state(t.id, t.status, t.assignee, t.draft_saved_at)


@router.post("/{task_id}/complete", response_model=CompletionRead)
async def complete(task_id: str, body: TaskData, actor: ActorDep, svc: ServicesDep) -> CompletionRead:
    """Validate and complete; 422 with per-field errors (nothing written), 409 when stale or claimed."""
    return CompletionRead.of(await run_in_threadpool(complete_task, svc, actor, task_id, body.data))
