"""anonymous statistics facts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:56:58.377849
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('stat_imported',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('imported_by', sa.String(length=100), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_imported')),
    sa.UniqueConstraint('year', 'metric', 'key', name=op.f('uq_stat_imported_year'))
    )
    op.create_table('stat_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('referrer_type', sa.String(length=32), nullable=True),
    sa.Column('client_category', sa.String(length=32), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('age_at_admission', sa.Integer(), nullable=True),
    sa.Column('nationalities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('residence_status', sa.String(length=32), nullable=True),
    sa.Column('exploited_in', sa.String(length=16), nullable=True),
    sa.Column('admitted_on', sa.Date(), nullable=True),
    sa.Column('exit_on', sa.Date(), nullable=True),
    sa.Column('exit_reason', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['client_case.id'], name=op.f('fk_stat_record_case_id_client_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_record')),
    sa.UniqueConstraint('case_id', name=op.f('uq_stat_record_case_id'))
    )
    with op.batch_alter_table('stat_record', schema=None) as batch_op:
        batch_op.create_index('ix_stat_record_admitted', ['admitted_on'], unique=False)
        batch_op.create_index('ix_stat_record_received', ['received_on'], unique=False)

    op.create_table('stat_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('rejection_ground', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['stat_record.id'], name=op.f('fk_stat_decision_record_id_stat_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_decision')),
    sa.UniqueConstraint('record_id', 'decided_on', 'outcome', name=op.f('uq_stat_decision_record_id'))
    )
    with op.batch_alter_table('stat_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_decision_decided_on'), ['decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_decision_record_id'), ['record_id'], unique=False)

    op.create_table('stat_exploitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=32), nullable=False),
    sa.Column('primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['stat_record.id'], name=op.f('fk_stat_exploitation_record_id_stat_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_exploitation'))
    )
    with op.batch_alter_table('stat_exploitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_exploitation_record_id'), ['record_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('stat_exploitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_exploitation_record_id'))

    op.drop_table('stat_exploitation')
    with op.batch_alter_table('stat_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_decision_record_id'))
        batch_op.drop_index(batch_op.f('ix_stat_decision_decided_on'))

    op.drop_table('stat_decision')
    with op.batch_alter_table('stat_record', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_record_received')
        batch_op.drop_index('ix_stat_record_admitted')

    op.drop_table('stat_record')
    op.drop_table('stat_imported')

