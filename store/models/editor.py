"""Working drafts of processes: what a process owner edits in the browser before deploying it.

One draft per process id. Its files are the same kinds a version holds (BPMN, DMN, form JSON, scenario
tests), kept as text. `revision` goes up on every save, so two editors cannot overwrite each other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, UtcDateTime, utcnow


class ProcessDraft(Base):
    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), unique=True)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id", ondelete="SET NULL"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    imported: Mapped[bool] = mapped_column(default=False)  # a model from another tool: missing lanes warn
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    files: Mapped[list[ProcessDraftFile]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="ProcessDraftFile.name"
    )


class ProcessDraftFile(Base):
    __tablename__ = "process_draft_file"
    __table_args__ = (UniqueConstraint("draft_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("process_draft.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
