"""Deployed process versions (immutable) and the instances running on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.crypto import EncryptedText
from store.models.base import Base, JsonType, UtcDateTime, utcnow


class ProcessVersion(Base):
    """One immutable deployment of one process: sources, spec, hash, who and when."""

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        Index("ix_process_version_pid_sha", "process_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)  # large; read once per process (VersionCache)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    serializer_version: Mapped[str] = mapped_column(String(16))
    engine_version: Mapped[str] = mapped_column(String(32))
    deployed_by: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    change_note: Mapped[str] = mapped_column(Text, default="")
    imported: Mapped[bool] = mapped_column(default=False)

    files: Mapped[list[ProcessVersionFile]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="ProcessVersionFile.name"
    )

    @property
    def key(self) -> str:
        """The cache key for this version's spec objects."""
        return f"{self.id}:{self.sha256}"


class ProcessVersionFile(Base):
    __tablename__ = "process_version_file"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


INSTANCE_STATUSES = ("running", "waiting", "completed", "error", "suspended", "cancelled")


class ProcessInstance(Base):
    """One running (or finished) process: state JSON without the spec, and projections."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_status_process", "status", "process_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("client_case.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    state_json: Mapped[str] = mapped_column(EncryptedText)
    serializer_version: Mapped[str] = mapped_column(String(16))
    state_size: Mapped[int] = mapped_column(Integer, default=0)
    tree_depth: Mapped[int] = mapped_column(Integer, default=0)
    active_elements: Mapped[list[str]] = mapped_column(JsonType, default=list)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version_counter: Mapped[int] = mapped_column(Integer, default=1)

    version: Mapped[ProcessVersion] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version_counter}  # noqa: RUF012 - SQLAlchemy reads it as is


class InstanceMigration(Base):
    """One move of an instance to another version, with the state before it, so it can be reverted."""

    __tablename__ = "instance_migration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    old_state_json: Mapped[str] = mapped_column(EncryptedText, deferred=True)
    forced: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[str]] = mapped_column(JsonType, default=list)  # why it was unsafe, when forced
    migrated_by: Mapped[str] = mapped_column(String(100))
    migrated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reverted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reverted_by: Mapped[str | None] = mapped_column(String(100))
    counter_after: Mapped[int] = mapped_column(Integer, default=0)  # revert only if nothing changed since
