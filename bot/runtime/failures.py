"""What `herald` says when an expected failure stops a command: one line for a person, and the exit
status (2: the command line or settings are wrong; 1: the operation failed)."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from alembic.util.exc import CommandError
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.core.db import shown_url
from bot.core.errors import HeraldError
from bot.core.settings import SettingsError

USAGE, FAILED = 2, 1


class UsageError(Exception):
    """The command line asks for something that cannot be; the message says what instead."""


def explain(error: Exception, database_url: str | None) -> tuple[str, int] | None:
    """The line and exit status for an error a user can act on; None for a bug, which deserves its traceback.
    `database_url` is the store's, once the settings are read."""
    store = shown_url(database_url) if database_url else "DATABASE_URL"
    match error:
        case UsageError() | SettingsError():
            return str(error), USAGE
        case HeraldError():
            return str(error), FAILED
        case ArgumentError():
            return f"DATABASE_URL is invalid: {error}", USAGE
        case OperationalError() if error.connection_invalidated or _is_connect_failure(error):
            return f"cannot reach the database at {store}: {_reason(error)}", FAILED
        case OperationalError() if "unable to open database file" in str(error.orig):
            return f"cannot open the database at {store}: {_sqlite_folder_problem(store)}", FAILED
        case OperationalError():
            return f"the database at {store} refused: {_reason(error)}", FAILED
        case CommandError():
            return f"cannot migrate the database at {store}: {error}", FAILED
        case SlackApiError():
            return f"Slack answered {error.response.get('error', 'an error')}", FAILED
        case aiohttp.ClientError():  # before OSError: a failed connection is both
            return f"cannot reach Slack: {error}", FAILED
        case OSError() if error.filename is not None:
            return f"{error.filename}: {error.strerror}", FAILED
        case OSError():
            return str(error), FAILED
    return None


def _is_connect_failure(error: OperationalError) -> bool:
    return str(error.orig).startswith(("connection failed", "failed to resolve host", "connection timeout"))


def _reason(error: OperationalError) -> str:
    """The driver's first line, from where it says what failed: `connection refused`, not the preamble."""
    first = str(error.orig).strip().splitlines()[0]
    reason = re.split(r"failed: (?:FATAL: +)?", first)[-1].strip()
    return reason[:1].lower() + reason[1:]


def _sqlite_folder_problem(database_url: str) -> str:
    folder = Path(make_url(database_url).database or ".").parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    return f"Herald cannot write to the folder {folder}"
