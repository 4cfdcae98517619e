"""indexes for digests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:52:12.549182
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_launch_target_date'), ['target_date'], unique=False)

    with op.batch_alter_table('launch_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_change_at'), ['at'], unique=False)

    with op.batch_alter_table('ownership_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_change_at'), ['at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ownership_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ownership_change_at'))

    with op.batch_alter_table('launch_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_change_at'))

    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_target_date'))
        batch_op.drop_index(batch_op.f('ix_launch_owner_id'))

