"""What a referrer may learn: the referrer's channel (status-code hash or callback URL), the yes/no
notifications, and the rate limit of the public referral pages.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referrer_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status_code_sha256", sa.String(length=64), nullable=True),
        sa.Column("callback_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrer_channel")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrer_channel_reference")),
    )
    op.create_table(
        "referrer_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_outbox_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrer_notification")),
        sa.UniqueConstraint("source_outbox_id", name=op.f("uq_referrer_notification_source_outbox_id")),
    )
    with op.batch_alter_table("referrer_notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrer_notification_reference"), ["reference"], unique=False)
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hit")),
    )
    with op.batch_alter_table("rate_limit_hit", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_hit_bucket_addr_at", ["bucket", "address_key", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_hit", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_hit_bucket_addr_at")
    op.drop_table("rate_limit_hit")
    with op.batch_alter_table("referrer_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrer_notification_reference"))
    op.drop_table("referrer_notification")
    op.drop_table("referrer_channel")
