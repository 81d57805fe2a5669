"""Append-only logs: what happened to instances (history) and who read which case (access log).

Both tables refuse UPDATE and DELETE with database triggers (see the migration), so not even a
bug in our own code can rewrite history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from store.crypto import EncryptedJSON, EncryptedText
from store.models.base import Base, UtcDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)  # incl. data diff: sealed


class AccessLogEntry(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_case_at", "case_id", "at"), Index("ix_access_log_user_at", "username", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(String(200))  # e.g. "case page", "api task", "export"
    via: Mapped[str] = mapped_column(String(16))  # page | api | export | cli
    # Break-the-glass reads of a restricted case: flagged for review, with the stated reason (sealed).
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reason: Mapped[str | None] = mapped_column(EncryptedText)
