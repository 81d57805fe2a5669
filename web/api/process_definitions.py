"""`/api/v1/process-definitions`: list deployed processes; validate or deploy uploaded files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from engine import SourceFile
from services.definitions import list_definitions
from services.deploy import deploy
from web.api.schemas import DeployReport, ProcessDefinitionRead, VersionRead
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/process-definitions", tags=["process definitions"])

MAX_FILE_READ = 6 * 1024 * 1024  # read a little past the engine's 5 MB limit so it can report the size


@router.get("", response_model=list[ProcessDefinitionRead])
async def read_definitions(actor: ActorDep, svc: ServicesDep) -> list[ProcessDefinitionRead]:
    rows = await run_in_threadpool(list_definitions, svc, actor)
    return [ProcessDefinitionRead(**r.__dict__) for r in rows]


@router.post(
    "",
    response_model=DeployReport,
    status_code=201,
    responses={200: {"description": "dry run: valid"}, 422: {"description": "the validation report"}},
)
async def deploy_definitions(
    actor: ActorDep,
    svc: ServicesDep,
    files: Annotated[list[UploadFile], File(description="BPMN/DMN files and form JSON files")],
    dry_run: Annotated[bool, Query()] = False,
    note: Annotated[str, Query(max_length=2000)] = "",
) -> JSONResponse:
    """Validate the files; deploy a new version of every changed process unless `dry_run`."""
    sources = []
    for upload in files:
        content = await upload.read(MAX_FILE_READ + 1)
        sources.append(SourceFile((upload.filename or "unnamed").rsplit("/", 1)[-1][:300], content))
    result = await run_in_threadpool(lambda: deploy(svc, actor, sources, change_note=note, dry_run=dry_run))
    body = DeployReport(
        **result.report.as_dict(),
        versions=[
            VersionRead(id=v.id, process_id=v.process_id, version=v.version, sha256=v.sha256, created=v.created)
            for v in result.versions
        ],
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if dry_run else 201)
