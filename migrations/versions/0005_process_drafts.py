"""Process drafts: the working copy a process owner edits in the browser before deploying it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:10:53.317861
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['base_version_id'], ['process_version.id'], name=op.f('fk_process_draft_base_version_id_process_version'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft')),
    sa.UniqueConstraint('process_id', name=op.f('uq_process_draft_process_id'))
    )
    op.create_table('process_draft_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['process_draft.id'], name=op.f('fk_process_draft_file_draft_id_process_draft'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft_file')),
    sa.UniqueConstraint('draft_id', 'name', name=op.f('uq_process_draft_file_draft_id'))
    )
    with op.batch_alter_table('process_draft_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_draft_file_draft_id'), ['draft_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('process_draft_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_draft_file_draft_id'))

    op.drop_table('process_draft_file')
    op.drop_table('process_draft')
