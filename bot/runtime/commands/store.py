"""Opening Herald's store for a command, and the commands that only prepare it: migrate and seed."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from bot.core.db import make_engine, migrate, session_scope, shown_url
from bot.core.settings import Settings
from bot.runtime.app import make_herald
from bot.runtime.demo import seed_demo
from bot.runtime.failures import StoreFolderError


def open_store(settings: Settings, *, name_it: bool = True) -> Engine:
    """The migrated store. Its name goes to stderr, so a user sees which data a command touched
    (and stdout stays clean for exports)."""
    if name_it:
        print(f"herald: using the store at {shown_url(settings.database_url)}", file=sys.stderr)
    migrate(settings.database_url)
    return make_engine(settings.database_url)


def make_default_store_folder(settings: Settings) -> None:
    """The folder of the default store (DATABASE_URL unset), made on first use."""
    if settings.default_store is None:
        return
    folder = settings.default_store.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # XDG_DATA_HOME names somewhere unusable: say which store, and how to choose another
        raise StoreFolderError(folder, error) from error


def migrate_command(settings: Settings, _args: argparse.Namespace) -> int:
    open_store(settings, name_it=False).dispose()
    print(f"herald: database at {shown_url(settings.database_url)} is up to date")
    return 0


def seed_command(settings: Settings, _args: argparse.Namespace) -> int:
    """The demo launches and directory; what is there already is left alone."""
    herald = make_herald(settings, open_store(settings, name_it=False))
    with session_scope(herald.engine) as session:
        added = seed_demo(session, today=herald.today())
    where = shown_url(settings.database_url)
    print(f"herald: added {added} demo launches to {where}" if added
          else f"herald: nothing new added: the demo launches are already in {where}")
    return 0
