"""Pydantic models of the JSON API (request and response bodies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class InstanceStart(BaseModel):
    process: str = Field(min_length=1, max_length=200, description="process id of a deployed process")
    data: dict[str, Any] = Field(default_factory=dict, description="initial data of the instance")


class Incident(BaseModel):
    id: int
    kind: str
    element_id: str | None
    message: str
    status: str
    created_at: str


class OpenTask(BaseModel):
    id: str
    bpmn_id: str
    title: str
    lane: str | None
    assignee: str | None


class InstanceRead(BaseModel):
    id: int
    process: str
    version: int
    case_id: int | None
    state: str
    active_element_ids: list[str]
    next_timer_at: datetime | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    state_size: int
    incidents: list[Incident]
    tasks: list[OpenTask]


class VersionRead(BaseModel):
    id: int
    process_id: str
    version: int
    sha256: str
    created: bool


class DeployReport(BaseModel):
    ok: bool
    process_ids: list[str]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    versions: list[VersionRead] = Field(default_factory=list)


class ProcessDefinitionRead(BaseModel):
    process_id: str
    name: str
    latest_version: int
    versions: int
    deployed_at: datetime
    deployed_by: str
