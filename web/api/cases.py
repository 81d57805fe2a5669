"""`/api/v1/cases`: one case's overview (need-to-know, logged) and messages to its processes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from services.cases import get_case
from services.messages import deliver_message
from web.api.schemas_cases import CaseRead, MessageDelivered, MessageSend
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("/{case_id}", response_model=CaseRead)
async def read_case(case_id: int, actor: ActorDep, svc: ServicesDep) -> CaseRead:
    """Status, client summary, active tasks, decisions, deadlines, history and documents. The read is logged."""
    return CaseRead.of(await run_in_threadpool(lambda: get_case(svc, actor, case_id, via="api")))


@router.post("/{case_id}/messages/{name}", response_model=MessageDelivered)
async def send_message(
    case_id: int,
    name: Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$")],
    body: MessageSend,
    actor: ActorDep,
    svc: ServicesDep,
) -> MessageDelivered:
    """Deliver a BPMN message (e.g. `consent_withdrawn`) to the case's waiting processes; 409 if none waits."""
    reached = await run_in_threadpool(lambda: deliver_message(svc, actor, name, body.payload, case_id=case_id))
    return MessageDelivered(delivered_to=reached)
