"""Projections of running instances: inbox tasks, message subscriptions, outbox and incidents.

These are rebuilt from the engine's snapshot after every change, in the same transaction, so the
inbox, the timer worker and monitoring read plain rows and never the workflow JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.crypto import EncryptedJSON
from store.models.base import Base, JsonType, UtcDateTime, utcnow


class HumanTask(Base):
    """A READY human task (the inbox), kept after completion for 'completed by me' and history."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_open_lane_due", "status", "lane", "due_at"),
        # "My tasks" (assignee, status); the cases where someone holds a task (case_id read from the index
        # alone); and the team inbox, which probes (NULL, 'open', case_id) once per case its user may see.
        Index("ix_human_task_assignee_status_case", "assignee", "status", "case_id"),
        Index("ix_human_task_completed_by", "completed_by", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("client_case.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(Integer)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100))
    form_schema: Mapped[str | None] = mapped_column(String(300))
    form_ui_schema: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | completed | cancelled
    assignee: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    draft: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))


class MessageSubscription(Base):
    __tablename__ = "message_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    message_name: Mapped[str] = mapped_column(String(200), index=True)
    correlations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class OutboxItem(Base):
    """A service call or outbound message to run after commit, with retry and an idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # service_call | message
    name: Mapped[str] = mapped_column(String(200))  # operation or message name
    task_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[Any] = mapped_column(EncryptedJSON)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(EncryptedJSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Incident(Base):
    """Something a supervisor must look at: a script error or a service call that kept failing."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # script_error | service_call | tree_depth
    element_id: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
