"""Let the append-only audit log be re-sealed under a new encryption key, and nothing else.

An UPDATE of audit_event is allowed only when every column but `details` is unchanged and the new
`details` is a sealed value (key rotation, or redaction at erasure); any other UPDATE or DELETE is
still refused by the database.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAME = ("id", "at", "actor", "action", "instance_id", "case_id", "task_id", "element_id")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in SAME)
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"WHEN NOT ({same} AND NEW.details LIKE '\"enc1:%') "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )
    elif bind.dialect.name == "postgresql":
        same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in SAME)
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND {same} AND jsonb_typeof(NEW.details) = 'string' "
            "AND (NEW.details #>> '{}') LIKE 'enc1:%' THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql"
        )
