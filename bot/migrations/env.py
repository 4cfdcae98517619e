"""Alembic environment: the URL comes from the caller (`herald migrate`) or Herald's settings."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel, create_engine

# Each domain's tables register themselves on SQLModel.metadata when imported.
import bot.digests.models  # noqa: F401
import bot.directory.models  # noqa: F401
import bot.launches.models  # noqa: F401
import bot.launches.signoff_models  # noqa: F401
import bot.releases.models  # noqa: F401
import bot.runtime.handled_events  # noqa: F401
from bot.core.settings import load_settings

config = context.config
database_url = config.attributes.get("database_url") or load_settings().database_url
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
