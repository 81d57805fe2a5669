"""The anonymous-consultation log: a referrer asked for advice about a possible case without naming anyone.

Only codes and a date are kept, never free text or a time of day: a timestamp together with the referrer
type could point at the caller. `recorded_by` is the staff member who took the call, not the caller.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UtcDateTime, utcnow


class Consultation(Base):
    """One anonymous consultation (codes from processes/codelists.json)."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consulted_on: Mapped[date] = mapped_column(Date, index=True)
    referrer_type: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
