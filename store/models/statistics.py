"""Anonymous facts for the annual statistics: codes and dates only, never names or birth dates.

They are written as cases progress (services.stat_projection) and survive erasure of the personal
data (the link `case_id` is cleared then), so the published figures of past years never change.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, JsonType, UtcDateTime, utcnow


class StatRecord(Base):
    """One person referred to the assistance system."""

    __tablename__ = "stat_record"
    __table_args__ = (Index("ix_stat_record_received", "received_on"), Index("ix_stat_record_admitted", "admitted_on"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("client_case.id", ondelete="SET NULL"), unique=True)
    received_on: Mapped[date | None] = mapped_column(Date)
    referrer_type: Mapped[str | None] = mapped_column(String(32))
    client_category: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)  # a year alone, enough for age at 31 December
    age_at_admission: Mapped[int | None] = mapped_column(Integer)
    nationalities: Mapped[list[str]] = mapped_column(JsonType, default=list)  # ISO codes
    residence_status: Mapped[str | None] = mapped_column(String(32))
    exploited_in: Mapped[str | None] = mapped_column(String(16))
    admitted_on: Mapped[date | None] = mapped_column(Date)
    exit_on: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatDecision(Base):
    """An admission decision (a case may get more than one, e.g. after an appeal)."""

    __tablename__ = "stat_decision"
    __table_args__ = (UniqueConstraint("record_id", "decided_on", "outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("stat_record.id", ondelete="CASCADE"), index=True)
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # admitted | rejected
    rejection_ground: Mapped[str | None] = mapped_column(String(32))


class StatExploitation(Base):
    """A form of exploitation of one person, primary or secondary."""

    __tablename__ = "stat_exploitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("stat_record.id", ondelete="CASCADE"), index=True)
    form: Mapped[str] = mapped_column(String(32))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)


class StatImported(Base):
    """A published figure of an earlier year, imported so the five-year series is whole."""

    __tablename__ = "stat_imported"
    __table_args__ = (UniqueConstraint("year", "metric", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(100))  # e.g. "applications.total", "applications.by_referrer_type"
    key: Mapped[str] = mapped_column(String(100), default="")  # e.g. "police"; "" for a total
    value: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300), default="")
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
