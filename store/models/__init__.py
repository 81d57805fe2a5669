"""All tables. Import from here so Alembic sees the full metadata."""

from typing import cast

from sqlalchemy import Table

from store.models.audit import AccessLogEntry, AuditEvent
from store.models.base import Base, utcnow
from store.models.cases import Case
from store.models.consultations import Consultation
from store.models.editor import ProcessDraft, ProcessDraftFile
from store.models.people import ROLES, ApiToken, Team, User, UserRole
from store.models.processes import InstanceMigration, ProcessInstance, ProcessVersion, ProcessVersionFile
from store.models.protection import (
    CaseAccess,
    CaseProtection,
    CaseSearchKey,
    Disclosure,
    ErasureRecord,
    LegalHold,
    RetentionRun,
)
from store.models.referrers import RateLimitHit, ReferrerChannel, ReferrerNotification
from store.models.statistics import StatDecision, StatExploitation, StatImported, StatRecord
from store.models.web import Document, LoginAttempt, SavedFilter, WebSession
from store.models.work import HumanTask, Incident, MessageSubscription, OutboxItem

# Core handles for hot paths that bypass the ORM unit of work (typed as Table for mypy).
HUMAN_TASK_TABLE = cast(Table, HumanTask.__table__)
AUDIT_TABLE = cast(Table, AuditEvent.__table__)

__all__ = [
    "AUDIT_TABLE",
    "HUMAN_TASK_TABLE",
    "ROLES",
    "AccessLogEntry",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Case",
    "CaseAccess",
    "CaseProtection",
    "CaseSearchKey",
    "Consultation",
    "Disclosure",
    "Document",
    "ErasureRecord",
    "HumanTask",
    "Incident",
    "InstanceMigration",
    "LegalHold",
    "LoginAttempt",
    "MessageSubscription",
    "OutboxItem",
    "ProcessDraft",
    "ProcessDraftFile",
    "ProcessInstance",
    "ProcessVersion",
    "ProcessVersionFile",
    "RateLimitHit",
    "ReferrerChannel",
    "ReferrerNotification",
    "RetentionRun",
    "SavedFilter",
    "StatDecision",
    "StatExploitation",
    "StatImported",
    "StatRecord",
    "Team",
    "User",
    "UserRole",
    "WebSession",
    "utcnow",
]
