"""Instance migrations: each move to another version keeps the old state for revert.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:49:02.379911
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('instance_migration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('from_version_id', sa.Integer(), nullable=False),
    sa.Column('to_version_id', sa.Integer(), nullable=False),
    sa.Column('old_state_json', sa.Text(), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('migrated_by', sa.String(length=100), nullable=False),
    sa.Column('migrated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reverted_by', sa.String(length=100), nullable=True),
    sa.Column('counter_after', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['from_version_id'], ['process_version.id'], name=op.f('fk_instance_migration_from_version_id_process_version')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_instance_migration_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_version_id'], ['process_version.id'], name=op.f('fk_instance_migration_to_version_id_process_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_migration'))
    )
    with op.batch_alter_table('instance_migration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instance_migration_instance_id'), ['instance_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('instance_migration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_migration_instance_id'))

    op.drop_table('instance_migration')

