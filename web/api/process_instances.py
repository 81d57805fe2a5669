"""`/api/v1/process-instances`: start any deployed process directly (for testing a model), inspect one."""

from __future__ import annotations

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from services.instances import InstanceInfo, get_instance, start_instance
from web.api.schemas import Incident, InstanceRead, InstanceStart, OpenTask
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/process-instances", tags=["process instances"])


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


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InstanceRead)
async def create_instance(body: InstanceStart, actor: ActorDep, svc: ServicesDep) -> InstanceRead:
    """Start the latest version of a process (process owner, supervisor). Script errors become incidents."""
    info = await run_in_threadpool(start_instance, svc, actor, body.process, body.data)
    return to_read(info)


@router.get("/{instance_id}", response_model=InstanceRead)
async def read_instance(instance_id: int, actor: ActorDep, svc: ServicesDep) -> InstanceRead:
    """State, active element ids, incidents and open tasks of one instance."""
    return to_read(await run_in_threadpool(get_instance, svc, actor, instance_id))
