"""sign-offs: the teams a launch depends on say go or no-go

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signoff_request',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('launch_id', sa.Integer(), sa.ForeignKey('launch.id', ondelete='CASCADE'), nullable=False),
        sa.Column('who', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.UniqueConstraint('launch_id', 'who'),
    )
    op.create_index('ix_signoff_request_launch_id', 'signoff_request', ['launch_id'])
    op.create_index('ix_signoff_request_answer', 'signoff_request', ['answer'])
    op.create_table(
        'signoff_ask',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('request_id', sa.Integer(), sa.ForeignKey('signoff_request.id', ondelete='CASCADE'), nullable=False),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.UniqueConstraint('request_id', 'recipient'),
    )
    op.create_index('ix_signoff_ask_request_id', 'signoff_ask', ['request_id'])
    op.create_index('ix_signoff_ask_recipient', 'signoff_ask', ['recipient'])
    op.create_table(
        'signoff_nudge',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.UniqueConstraint('recipient', 'day'),
    )


def downgrade() -> None:
    op.drop_table('signoff_nudge')
    op.drop_table('signoff_ask')
    op.drop_table('signoff_request')
