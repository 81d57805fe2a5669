"""The team inbox's index: human_task (assignee, status, case_id) replaces (assignee, status).

The team inbox looks up, for each case its user may see, the open unclaimed tasks of that case:
(assignee IS NULL, status = 'open', case_id = ?), one index probe per case, on both databases and with
or without planner statistics; the cases where someone holds a task are read from the index alone.
"My tasks" keeps using the same index's (assignee, status) prefix.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 21:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index("ix_human_task_assignee_status_case", ["assignee", "status", "case_id"], unique=False)
        batch_op.drop_index("ix_human_task_assignee_status")


def downgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index("ix_human_task_assignee_status", ["assignee", "status"], unique=False)
        batch_op.drop_index("ix_human_task_assignee_status_case")
