"""a unique key per release, so that recording one can never double

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00

`release.release_key` is "id:<source>:<external id>" or "version:<component>:<version>", unique among
releases that have an id or are not withdrawn (see Release). It takes over from the unique external id:
an id is now unique per source.

Rows recorded before this revision may hold the same live component and version twice (two replicas
recording one webhook at once): the oldest keeps the key, and the others get it with " #<their id>"
appended, which no recorded key can equal, since versions hold no spaces. Nothing is deleted.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

HOLDS_ITS_KEY = "external_id IS NOT NULL OR NOT withdrawn"  # Release.HOLDS_ITS_KEY when this was written
NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed constraint, to drop it


def upgrade() -> None:
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_key', sqlmodel.sql.sqltypes.AutoString(length=240), nullable=True))
    op.execute(
        "UPDATE release SET release_key = CASE WHEN external_id IS NOT NULL"
        " THEN 'id:' || source || ':' || external_id ELSE 'version:' || component || ':' || version END"
    )
    op.execute(
        "UPDATE release SET release_key = release_key || ' #' || CAST(id AS VARCHAR(20))"
        f" WHERE ({HOLDS_ITS_KEY}) AND id > (SELECT MIN(other.id) FROM release AS other"
        " WHERE other.release_key = release.release_key AND (other.external_id IS NOT NULL OR NOT other.withdrawn))"
    )
    external_id_unique = _external_id_constraint()
    with op.batch_alter_table('release', schema=None, naming_convention=NAMES) as batch_op:
        batch_op.alter_column('release_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=240),
                              nullable=False)
        batch_op.drop_constraint(external_id_unique, type_='unique')
        batch_op.create_index('ux_release_key', ['release_key'], unique=True,
                              postgresql_where=sa.text(HOLDS_ITS_KEY), sqlite_where=sa.text(HOLDS_ITS_KEY))


def downgrade() -> None:
    """Fails, as it should, if two sources have since used the same external id."""
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index('ux_release_key')
        batch_op.create_unique_constraint('release_external_id_key', ['external_id'])
        batch_op.drop_column('release_key')


def _external_id_constraint() -> str:
    """The unique constraint 0003 put on external_id: PostgreSQL named it, SQLite did not (NAMES does)."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints('release'):
        if constraint['column_names'] == ['external_id']:
            return constraint['name'] or NAMES['uq'] % {'table_name': 'release', 'column_0_name': 'external_id'}
    raise RuntimeError("release.external_id has no unique constraint to replace")
