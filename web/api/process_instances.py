"""`/api/v1/process-instances`: start any deployed process directly (for testing a model), list and
inspect instances, and a supervisor's suspend / resume / cancel (each with a reason, in the history)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from services.context import Actor, Services
from services.instance_admin import cancel_instance, resume_instance, suspend_instance
from services.instances import InstanceInfo, get_instance, start_instance
from services.monitoring_list import MAX_PER_PAGE, InstanceQuery, Order, SortKey, State, list_instances
from web.api.schemas import Incident, InstanceRead, InstanceStart, OpenTask
from web.api.schemas_instances import InstanceAction, InstanceActionResult, InstanceListRow
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/process-instances", tags=["process instances"])
InstanceId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the column is a 32-bit integer


def to_read(info: InstanceInfo) -> InstanceRead:
    return InstanceRead(
        id=info.id,
        process=info.process_id,
        version=info.version,
        case_id=info.case_id,
        state=info.status,
        active_element_ids=info.active_elements,
        next_timer_at=info.next_timer_at,
        started_by=info.started_by,
        started_at=info.started_at,
        updated_at=info.updated_at,
        completed_at=info.completed_at,
        state_size=info.state_size,
        incidents=[Incident(**i) for i in info.incidents],
        tasks=[OpenTask(**t) for t in info.open_tasks],
    )


@router.get(
    "",
    response_model=list[InstanceListRow],
    responses={200: {"description": "one page of rows; `X-Total-Count` holds the number of all matching rows"}},
)
async def read_instances(
    actor: ActorDep,
    svc: ServicesDep,
    response: Response,
    process: Annotated[str | None, Query(max_length=200)] = None,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    state: State | None = None,
    lane: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool = False,
    case_reference: Annotated[str | None, Query(max_length=200)] = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    sort: SortKey = "updated",
    order: Order = "desc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> list[InstanceListRow]:
    """Instances (supervisor, process owner): `state` is open|running|error|suspended|completed|cancelled
    (`open` = not finished); `overdue=true` keeps those with an open task past its due date; `lane`
    those with an open task in that lane. Newest change first. A process owner gets no case fields."""
    query = InstanceQuery(
        process=process,
        version=version,
        state=state,
        lane=lane,
        overdue=overdue,
        case_reference=case_reference,
        started_after=started_after,
        started_before=started_before,
        updated_after=updated_after,
        updated_before=updated_before,
        sort=sort,
        order=order,
        page=page,
        per_page=per_page,
    )
    result = await run_in_threadpool(list_instances, svc, actor, query)
    response.headers["X-Total-Count"] = str(result.total)
    response.headers["X-As-Of"] = result.as_of.isoformat()
    return [InstanceListRow.of(r) for r in result.rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InstanceRead)
async def create_instance(body: InstanceStart, actor: ActorDep, svc: ServicesDep) -> InstanceRead:
    """Start the latest version of a process (process owner, supervisor). Script errors become incidents."""
    info = await run_in_threadpool(start_instance, svc, actor, body.process, body.data)
    return to_read(info)


@router.get("/{instance_id}", response_model=InstanceRead)
async def read_instance(instance_id: InstanceId, actor: ActorDep, svc: ServicesDep) -> InstanceRead:
    """State, active element ids, incidents and open tasks of one instance."""
    return to_read(await run_in_threadpool(get_instance, svc, actor, instance_id))


Action = Callable[[Services, Actor, int, str], str]


async def _act(
    action: Action, svc: Services, actor: Actor, instance_id: int, body: InstanceAction
) -> InstanceActionResult:
    state = await run_in_threadpool(action, svc, actor, instance_id, body.reason)
    return InstanceActionResult(id=instance_id, state=state)


@router.post("/{instance_id}/suspend", response_model=InstanceActionResult)
async def suspend(
    instance_id: InstanceId, body: InstanceAction, actor: ActorDep, svc: ServicesDep
) -> InstanceActionResult:
    """Hold the instance (supervisor): timers wait and its tasks cannot be completed until resumed."""
    return await _act(suspend_instance, svc, actor, instance_id, body)


@router.post("/{instance_id}/resume", response_model=InstanceActionResult)
async def resume(
    instance_id: InstanceId, body: InstanceAction, actor: ActorDep, svc: ServicesDep
) -> InstanceActionResult:
    """Let a suspended instance go on (supervisor); `error` while an incident is open."""
    return await _act(resume_instance, svc, actor, instance_id, body)


@router.post("/{instance_id}/cancel", response_model=InstanceActionResult)
async def cancel(
    instance_id: InstanceId, body: InstanceAction, actor: ActorDep, svc: ServicesDep
) -> InstanceActionResult:
    """End the instance for good (supervisor): open tasks close, timers and pending calls are dropped."""
    return await _act(cancel_instance, svc, actor, instance_id, body)
