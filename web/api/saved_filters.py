"""`/api/v1/saved-filters`: each user's named inbox queries (own filters only)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from services.inbox import delete_filter, list_filters, query_from_dict, save_filter
from web.api.schemas_tasks import SavedFilterCreate, SavedFilterRead
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/saved-filters", tags=["tasks"])


@router.get("", response_model=list[SavedFilterRead])
async def read_filters(actor: ActorDep, svc: ServicesDep) -> list[SavedFilterRead]:
    """My saved inbox filters, by name."""
    return [SavedFilterRead.of(f) for f in await run_in_threadpool(list_filters, svc, actor)]


@router.post("", response_model=SavedFilterRead, status_code=status.HTTP_201_CREATED)
async def create_filter(body: SavedFilterCreate, actor: ActorDep, svc: ServicesDep) -> SavedFilterRead:
    """Save an inbox query under a name (409 when I already use the name)."""
    query = query_from_dict(body.query.model_dump(exclude_none=True))
    return SavedFilterRead.of(await run_in_threadpool(save_filter, svc, actor, body.name, query))


@router.delete("/{filter_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def remove_filter(filter_id: int, actor: ActorDep, svc: ServicesDep) -> Response:
    """Delete one of my filters; another user's filter is 404."""
    await run_in_threadpool(delete_filter, svc, actor, filter_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
