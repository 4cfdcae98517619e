"""ownership directory and handled events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:51:12.496896
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('slack_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('deactivated', sa.Boolean(), nullable=False),
    sa.Column('checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_ref'), ['ref'], unique=True)
        batch_op.create_index(batch_op.f('ix_contact_slack_user_id'), ['slack_user_id'], unique=False)

    op.create_table('handled_event',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('slack_group', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('escalation', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_key'), ['key'], unique=True)

    op.create_table('component',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('primary_contact_id', sa.Integer(), nullable=True),
    sa.Column('backup_contact_id', sa.Integer(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('escalation', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('runbook_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('repo_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['backup_contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['primary_contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_component_backup_contact_id'), ['backup_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_component_key'), ['key'], unique=True)
        batch_op.create_index(batch_op.f('ix_component_primary_contact_id'), ['primary_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_component_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_component_updated_at'), ['updated_at'], unique=False)

    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'contact_id')
    )
    op.create_table('ownership_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('new_value', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ownership_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_change_component_id'), ['component_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ownership_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ownership_change_component_id'))

    op.drop_table('ownership_change')
    op.drop_table('team_member')
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_component_updated_at'))
        batch_op.drop_index(batch_op.f('ix_component_team_id'))
        batch_op.drop_index(batch_op.f('ix_component_primary_contact_id'))
        batch_op.drop_index(batch_op.f('ix_component_key'))
        batch_op.drop_index(batch_op.f('ix_component_backup_contact_id'))

    op.drop_table('component')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_key'))

    op.drop_table('team')
    op.drop_table('handled_event')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_slack_user_id'))
        batch_op.drop_index(batch_op.f('ix_contact_ref'))

    op.drop_table('contact')
