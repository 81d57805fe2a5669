"""`/api/v1/process-definitions/...`: versions, raw files, diffs, the working draft (read, save, check,
deploy), scenario overrides, and SpiffArena imports. Process owners write; supervisors read (and
approve scenario overrides); everyone else gets 403. The browser's modeler uses these with its session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from services.deploy import DeployResult
from services.errors import NotFound
from services.process_editor import (
    DraftView,
    delete_file,
    deploy_draft,
    discard_draft,
    open_draft,
    save_file,
)
from services.process_editor_checks import approve_draft_override, check_draft
from services.spiffarena_import import MAX_ARCHIVE_BYTES, import_model
from services.version_history import diff, list_versions, version_file
from web.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/process-definitions", tags=["process versions"])

ProcessId = Annotated[str, Path(max_length=200)]
FileName = Annotated[str, Path(max_length=300)]
MEDIA_TYPES = {".bpmn": "application/xml", ".dmn": "application/xml", ".json": "application/json"}


class VersionInfo(BaseModel):
    id: int
    version: int
    name: str
    sha256: str
    deployed_by: str
    deployed_at: datetime
    change_note: str
    imported: bool
    running_instances: int
    files: list[str]


class ElementChangeRead(BaseModel):
    element_id: str
    name: str
    type: str
    changed: list[str] = Field(default_factory=list)


class ProcessDiffRead(BaseModel):
    process_id: str
    added: list[ElementChangeRead]
    removed: list[ElementChangeRead]
    changed: list[ElementChangeRead]


class DiffRead(BaseModel):
    process_id: str
    from_version: int
    to_version: int
    processes: list[ProcessDiffRead]
    files_changed: list[str]


class DraftFileRead(BaseModel):
    name: str
    kind: str
    size: int


class DraftRead(BaseModel):
    process_id: str
    saved: bool
    revision: int
    base_version: int | None
    imported: bool
    updated_by: str | None
    updated_at: datetime | None
    files: list[DraftFileRead]


class FileWrite(BaseModel):
    content: str = Field(max_length=5 * 1024 * 1024)
    revision: int = Field(ge=0, description="the draft revision this change is based on (0: not saved yet)")


class DeployDraft(BaseModel):
    note: str = Field(min_length=3, max_length=2000)
    revision: int = Field(ge=0)


class OverrideWrite(BaseModel):
    reason: str = Field(min_length=10, max_length=2000)
    revision: int = Field(ge=0)


def _draft_read(view: DraftView) -> DraftRead:
    return DraftRead(
        process_id=view.process_id,
        saved=view.saved,
        revision=view.revision,
        base_version=view.base_version,
        imported=view.imported,
        updated_by=view.updated_by,
        updated_at=view.updated_at,
        files=[DraftFileRead(name=f.name, kind=f.kind, size=len(f.content)) for f in view.files],
    )


def _media_type(name: str) -> str:
    return next((t for ext, t in MEDIA_TYPES.items() if name.lower().endswith(ext)), "application/octet-stream")


def _deployed(result: DeployResult, report: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **(report or result.report.as_dict()),
        "versions": [
            {"id": v.id, "process_id": v.process_id, "version": v.version, "sha256": v.sha256, "created": v.created}
            for v in result.versions
        ],
        "scenarios": [s.as_dict() for s in result.scenarios],
        "overridden_by": result.overridden_by,
    }


@router.get("/{process_id}/versions", response_model=list[VersionInfo])
async def read_versions(process_id: ProcessId, actor: ActorDep, svc: ServicesDep) -> list[VersionInfo]:
    rows = await run_in_threadpool(list_versions, svc, actor, process_id)
    return [
        VersionInfo(
            id=r.id,
            version=r.version,
            name=r.name,
            sha256=r.sha256,
            deployed_by=r.deployed_by,
            deployed_at=r.deployed_at,
            change_note=r.change_note,
            imported=r.imported,
            running_instances=r.running,
            files=list(r.files),
        )
        for r in rows
    ]


@router.get("/{process_id}/versions/{version}/files/{name}", response_class=Response)
async def read_version_file(
    process_id: ProcessId, version: int, name: FileName, actor: ActorDep, svc: ServicesDep
) -> Response:
    """The file exactly as deployed (a download)."""
    content = await run_in_threadpool(version_file, svc, actor, process_id, version, name)
    disposition = f'attachment; filename="{name}"' if name.isascii() and '"' not in name else "attachment"
    return Response(content, media_type=_media_type(name), headers={"content-disposition": disposition})


@router.get("/{process_id}/diff", response_model=DiffRead)
async def read_diff(
    process_id: ProcessId,
    actor: ActorDep,
    svc: ServicesDep,
    from_version: Annotated[int, Query(alias="from")],
    to_version: Annotated[int, Query(alias="to")],
) -> DiffRead:
    d = await run_in_threadpool(diff, svc, actor, process_id, from_version, to_version)

    def changes(items: tuple[Any, ...]) -> list[ElementChangeRead]:
        return [
            ElementChangeRead(element_id=c.element_id, name=c.name, type=c.kind, changed=list(c.what)) for c in items
        ]

    return DiffRead(
        process_id=d.process_id,
        from_version=d.from_version,
        to_version=d.to_version,
        processes=[
            ProcessDiffRead(
                process_id=p.process_id, added=changes(p.added), removed=changes(p.removed), changed=changes(p.changed)
            )
            for p in d.processes
        ],
        files_changed=list(d.files_changed),
    )


@router.get("/{process_id}/draft", response_model=DraftRead)
async def read_draft(process_id: ProcessId, actor: ActorDep, svc: ServicesDep) -> DraftRead:
    """The working draft (or, while nobody has saved one, the latest version's files)."""
    return _draft_read(await run_in_threadpool(open_draft, svc, actor, process_id))


@router.get("/{process_id}/draft/files/{name}", response_class=Response)
async def read_draft_file(process_id: ProcessId, name: FileName, actor: ActorDep, svc: ServicesDep) -> Response:
    view = await run_in_threadpool(open_draft, svc, actor, process_id)
    found = view.file(name)
    if found is None:
        raise NotFound(f"the draft has no file {name}")
    return Response(found.content.encode("utf-8"), media_type=_media_type(name) + "; charset=utf-8")


@router.put("/{process_id}/draft/files/{name}", response_model=DraftRead)
async def write_draft_file(
    process_id: ProcessId, name: FileName, body: FileWrite, actor: ActorDep, svc: ServicesDep
) -> DraftRead:
    """Create or replace a file of the draft; 409 when someone saved the draft meanwhile."""
    view = await run_in_threadpool(
        lambda: save_file(svc, actor, process_id, name, body.content, revision=body.revision)
    )
    return _draft_read(view)


@router.delete("/{process_id}/draft/files/{name}", response_model=DraftRead)
async def remove_draft_file(
    process_id: ProcessId,
    name: FileName,
    actor: ActorDep,
    svc: ServicesDep,
    revision: Annotated[int, Query(ge=0)],
) -> DraftRead:
    view = await run_in_threadpool(lambda: delete_file(svc, actor, process_id, name, revision=revision))
    return _draft_read(view)


@router.delete("/{process_id}/draft", status_code=204, response_class=Response)
async def remove_draft(process_id: ProcessId, actor: ActorDep, svc: ServicesDep) -> Response:
    await run_in_threadpool(discard_draft, svc, actor, process_id)
    return Response(status_code=204)


@router.post("/{process_id}/draft/check")
async def check(
    process_id: ProcessId,
    actor: ActorDep,
    svc: ServicesDep,
    scenarios: Annotated[bool, Query()] = True,
) -> dict[str, Any]:
    """The validation report (engine, SpiffArena-only features, bpmnlint as warnings) and the scenario results."""
    result = await run_in_threadpool(lambda: check_draft(svc, actor, process_id, scenarios=scenarios))
    return result.as_dict()


@router.post("/{process_id}/draft/deploy", status_code=201)
async def deploy(process_id: ProcessId, body: DeployDraft, actor: ActorDep, svc: ServicesDep) -> dict[str, Any]:
    """Deploy the draft as new version(s); 422 with the report, or with the failing scenarios."""
    result = await run_in_threadpool(
        lambda: deploy_draft(svc, actor, process_id, note=body.note, revision=body.revision)
    )
    return _deployed(result)


@router.post("/{process_id}/draft/override", status_code=201)
async def override(process_id: ProcessId, body: OverrideWrite, actor: ActorDep, svc: ServicesDep) -> dict[str, Any]:
    """A supervisor lets this exact draft deploy although scenario tests fail (logged with the reason)."""
    sha = await run_in_threadpool(
        lambda: approve_draft_override(svc, actor, process_id, revision=body.revision, reason=body.reason)
    )
    return {"approved_by": actor.username, "deployment_sha256": sha}


@router.post(
    "/import",
    status_code=201,
    responses={200: {"description": "dry run: valid"}, 422: {"description": "the report"}},
)
async def import_spiffarena(
    actor: ActorDep,
    svc: ServicesDep,
    files: Annotated[list[UploadFile], File(description="a SpiffArena process-model folder: its files, or one .zip")],
    dry_run: Annotated[bool, Query()] = False,
    note: Annotated[str, Query(max_length=2000)] = "",
) -> JSONResponse:
    """Import (validate, and unless `dry_run` deploy) a model made in SpiffArena."""
    uploads = [((u.filename or "unnamed"), await u.read(MAX_ARCHIVE_BYTES + 1)) for u in files[:201]]
    outcome = await run_in_threadpool(lambda: import_model(svc, actor, uploads, note=note, dry_run=dry_run))
    body = {**_deployed(outcome.result, outcome.report), "display_name": outcome.display_name}
    return JSONResponse(body, status_code=200 if dry_run else 201)
