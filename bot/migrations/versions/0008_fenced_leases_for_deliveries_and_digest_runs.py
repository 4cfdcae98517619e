"""fenced leases for deliveries and digest runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('leased_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_lease_token'), ['lease_token'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_leased_by'), ['leased_by'], unique=False)
    # A row left `sending` by the old worker may have been posted: it is looked for before anything else.
    op.execute("UPDATE delivery SET state = 'uncertain', lease_until = NULL WHERE state = 'sending'")

    with op.batch_alter_table('digest_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='posted'))
        batch_op.add_column(sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('message_ts', sa.String(length=32), nullable=True))
    op.execute("UPDATE digest_run SET state = CASE WHEN posted THEN 'posted' ELSE 'skipped' END")
    with op.batch_alter_table('digest_run', schema=None) as batch_op:
        batch_op.drop_column('posted')


def downgrade() -> None:
    with op.batch_alter_table('digest_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posted', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE digest_run SET posted = (state = 'posted')")
    with op.batch_alter_table('digest_run', schema=None) as batch_op:
        batch_op.drop_column('message_ts')
        batch_op.drop_column('attempt_at')
        batch_op.drop_column('lease_token')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('state')

    op.execute("UPDATE delivery SET state = 'sending' WHERE state = 'uncertain'")
    op.execute("UPDATE delivery SET state = 'failed' WHERE state = 'cancelled'")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_leased_by'))
        batch_op.drop_index(batch_op.f('ix_delivery_lease_token'))
        batch_op.drop_column('attempt_at')
        batch_op.drop_column('leased_by')
        batch_op.drop_column('lease_token')
