"""digests and their runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:14:27.702962
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('personal', sa.Boolean(), nullable=False),
    sa.Column('cron', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('always', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id')
    )
    op.create_table('digest_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('posted', sa.Boolean(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['digest_id'], ['digest.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest_id', 'period')
    )
    with op.batch_alter_table('digest_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_run_digest_id'), ['digest_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('digest_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_run_digest_id'))

    op.drop_table('digest_run')
    op.drop_table('digest')
