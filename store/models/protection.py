"""Data protection tables: restricted cases and named users, searchable keyed hashes, disclosures,
legal holds, and the proof of erasure (services/protection.py, disclosures.py, retention.py).

Nothing here holds a client's name in clear: search keys are keyed hashes, free text (a hold's
reason, a disclosure's summary) is sealed, and an erasure record names only ids, counts and rules.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.crypto import EncryptedJSON, EncryptedText
from store.models.base import Base, JsonType, UtcDateTime, utcnow


class CaseProtection(Base):
    """Protection flags of one case (no row: neither restricted nor a safe address)."""

    __tablename__ = "case_protection"

    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id", ondelete="CASCADE"), primary_key=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    safe_address: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseAccess(Base):
    """A user named on a case (kind `named`), or a supervisor's time-limited break-the-glass access."""

    __tablename__ = "case_access"
    __table_args__ = (
        UniqueConstraint("case_id", "username", "kind"),
        Index("ix_case_access_username", "username"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="named")  # named | break_glass
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(EncryptedText)


class CaseSearchKey(Base):
    """A keyed hash of a normalised identity value, for duplicate detection without clear text."""

    __tablename__ = "case_search_key"
    __table_args__ = (Index("ix_case_search_key_kind_hash", "kind", "hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # name | birth | name_birth
    hash: Mapped[str] = mapped_column(String(64))


class Disclosure(Base):
    """One sharing of case data outside the system, on a legal basis (processes/legal_bases.py)."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))  # an organisation or a role, e.g. "referrer"
    basis: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JsonType, default=list)  # field names, never values
    payload_summary: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | pending | cancelled
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(64))


class LegalHold(Base):
    """While a hold is not released, the case's personal data is not erased."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # appeal | prosecution | legal
    reason: Mapped[str] = mapped_column(EncryptedText)
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ErasureRecord(Base):
    """Proof of one erasure: which case id, when, under which rule, how many rows. No personal data."""

    __tablename__ = "erasure_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)  # the case row stays, emptied
    rule: Mapped[str] = mapped_column(String(64))
    relationship_ended_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    erased_by: Mapped[str] = mapped_column(String(100))
    counts: Mapped[dict[str, int]] = mapped_column(JsonType, default=dict)  # table -> rows erased


class RetentionRun(Base):
    """One row per day the worker ran the erasure job: the job runs at most once a day."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_on: Mapped[date] = mapped_column(Date, unique=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    erased: Mapped[int] = mapped_column(Integer, default=0)
