"""`/api/v1/process-definitions`: list deployed processes; validate or deploy uploaded files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from engine import SourceFile
from services.context import Services
from services.definitions import list_definitions
from services.deploy import deploy
from services.errors import DeploymentRejected
from services.process_editor_checks import bpmnlint_warnings
from web.api.schemas import DeployReport, ProcessDefinitionRead, VersionRead
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/process-definitions", tags=["process definitions"])

MAX_FILE_READ = 6 * 1024 * 1024  # read a little past the engine's 5 MB limit so it can report the size


async def _bpmnlint(svc: Services, sources: list[SourceFile]) -> list[dict[str, Any]]:
    return await run_in_threadpool(bpmnlint_warnings, svc, sources)


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
    try:
        result = await run_in_threadpool(lambda: deploy(svc, actor, sources, change_note=note, dry_run=dry_run))
    except DeploymentRejected as exc:
        if dry_run:  # the dry run answers the same report as the editor: bpmnlint's advice as warnings too
            exc.report["warnings"] = [*exc.report.get("warnings", []), *await _bpmnlint(svc, sources)]
        raise
    report = result.report.as_dict()
    if dry_run:
        report["warnings"] = [*report["warnings"], *await _bpmnlint(svc, sources)]
    body = DeployReport(
        **report,
        versions=[
            VersionRead(id=v.id, process_id=v.process_id, version=v.version, sha256=v.sha256, created=v.created)
            for v in result.versions
        ],
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if dry_run else 201)
