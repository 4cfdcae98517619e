"""directory version

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:19:03.018921
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO directory_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('directory_version')
