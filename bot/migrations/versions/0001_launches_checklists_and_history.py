"""launches, checklists and history

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 09:39:33.001170
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('launch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('owner_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('risk', sa.String(length=16), nullable=False),
    sa.Column('risk_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_key'), ['key'], unique=True)
        batch_op.create_index(batch_op.f('ix_launch_stage'), ['stage'], unique=False)

    op.create_table('checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['launch_id'], ['launch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_item_launch_id'), ['launch_id'], unique=False)

    op.create_table('launch_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('new_value', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['launch_id'], ['launch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('launch_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_change_launch_id'), ['launch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('launch_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_change_launch_id'))

    op.drop_table('launch_change')
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_item_launch_id'))

    op.drop_table('checklist_item')
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_stage'))
        batch_op.drop_index(batch_op.f('ix_launch_key'))

    op.drop_table('launch')
