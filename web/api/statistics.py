"""`/api/v1/statistics/annual/{year}`: the yearly tables in the shape of DESIGN.md section 4."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from services.statistics import annual_statistics
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/statistics", tags=["statistics"])


@router.get("/annual/{year}")
async def read_annual(
    year: int, actor: ActorDep, svc: ServicesDep, publish: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    """Counts of people for the year; `publish=true` hides cells under 5 ("<5") and their complements ("x")."""
    stats = await run_in_threadpool(annual_statistics, svc, actor, year, publish=publish)
    return stats.tables
