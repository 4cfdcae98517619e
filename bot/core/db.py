"""Engines, sessions and migrations for Herald's store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=10)


def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL lets the console, CLI and server read while one of them writes; FKs are off by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back whole when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A unit of work that is never committed: what a change would do, seen from inside, then undone."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def migrate(database_url: str) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", "bot:migrations")  # shipped inside the package
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable" to a health check
        return False


def shown_url(database_url: str) -> str:
    """The store's URL as people should see it: no password, a SQLite file with its full path."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=True)
