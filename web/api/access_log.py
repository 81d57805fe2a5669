"""`/api/v1/access-log`: who read which case (supervisor only), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from services.access_log import MAX_PER_PAGE, list_access
from web.api.schemas_cases import AccessEntryRead
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/access-log", tags=["access log"])


@router.get("", response_model=list[AccessEntryRead])
async def read_access_log(
    actor: ActorDep,
    svc: ServicesDep,
    response: Response,
    case_id: int | None = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 100,
) -> list[AccessEntryRead]:
    """Entries filtered by case and/or user and time; `X-Total-Count` holds the number of all matches."""
    result = await run_in_threadpool(
        lambda: list_access(
            svc, actor, case_id=case_id, username=username, since=since, until=until, page=page, per_page=per_page
        )
    )
    response.headers["X-Total-Count"] = str(result.total)
    return [AccessEntryRead.of(e) for e in result.entries]
