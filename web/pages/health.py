"""Health check: the app is up and the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from web.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(svc: ServicesDep) -> dict[str, str]:
    def ping() -> str:
        with svc.db.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"

    return {"status": "ok", "database": await run_in_threadpool(ping)}
