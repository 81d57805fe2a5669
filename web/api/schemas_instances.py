"""Pydantic models of the instance list and the supervisor's instance actions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.monitoring_list import InstanceRow


class InstanceListRow(BaseModel):
    id: int
    process: str
    version: int
    state: str
    active_element_ids: list[str]
    case_id: int | None = Field(description="null for roles that do not see case data")
    case_reference: str | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    next_timer_at: datetime | None
    open_tasks: int
    open_incidents: int
    overdue: bool = Field(description="an open task is past its due date")

    @classmethod
    def of(cls, row: InstanceRow) -> InstanceListRow:
        return cls(
            id=row.id,
            process=row.process_id,
            version=row.version,
            state=row.status,
            active_element_ids=row.active_elements,
            case_id=row.case_id,
            case_reference=row.case_reference,
            started_by=row.started_by,
            started_at=row.started_at,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
            next_timer_at=row.next_timer_at,
            open_tasks=row.open_tasks,
            open_incidents=row.open_incidents,
            overdue=row.overdue,
        )


class InstanceAction(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why; kept in the instance's history")


class InstanceActionResult(BaseModel):
    id: int
    state: str
