"""launch name key

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
    # Until now a launch's key was always its name as a key.
    op.execute("UPDATE launch SET name_key = key")
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False)
        batch_op.create_index(batch_op.f('ix_launch_name_key'), ['name_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_name_key'))
        batch_op.drop_column('name_key')
