"""release history

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:35:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'release_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('release_id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=True),
        sa.Column('new_value', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('release_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_change_release_id'), ['release_id'], unique=False)
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_column('edited_by')
    with op.batch_alter_table('release_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_change_release_id'))
    op.drop_table('release_change')
