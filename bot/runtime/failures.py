"""What `herald` says when an expected failure stops a command: one line for a person, and the exit
status (2: the command line or settings are wrong; 1: the operation failed).

Commands raise; `bot.runtime.cli.main` (and the console, for the store it opens) hands the error to
`explain`, so every command words a failure the same way and none catches errors of its own."""

from __future__ import annotations

import errno
import os
import re
import sys
from pathlib import Path

import aiohttp
from alembic.util.exc import CommandError
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from bot.core.db import shown_url
from bot.core.errors import HeraldError
from bot.core.settings import SettingsError

USAGE, FAILED = 2, 1


class UsageError(Exception):
    """The command line asks for something that cannot be; the message says what instead."""


class StoreFolderError(Exception):
    """The folder for Herald's default store (under XDG_DATA_HOME) cannot be made."""

    def __init__(self, folder: Path, error: OSError) -> None:
        super().__init__(f"{folder}: {error}")
        self.folder = folder
        self.error = error


def explain(error: Exception, database_url: str | None) -> tuple[str, int] | None:
    """The line (without `herald: `) and exit status for an error a user can act on; None for a bug, which
    deserves its traceback. `database_url` is the store's, once the settings are read, else None."""
    store = shown_url(database_url) if database_url else "DATABASE_URL"
    match error:
        case UsageError() | SettingsError():
            return str(error), USAGE
        case StoreFolderError(folder=folder, error=cause):
            because = cause.strerror.lower() if cause.strerror else str(cause)
            if isinstance(cause, NotADirectoryError) and _folder_problem(folder):
                because = _folder_problem(folder)
            elif cause.filename and Path(cause.filename) != folder:
                because += f" ({cause.filename})"
            return (f"cannot make the folder for Herald's default store, {folder}: {because}; "
                    "set DATABASE_URL to choose another store"), USAGE
        case HeraldError():
            return str(error), FAILED
        case ArgumentError():
            return f"DATABASE_URL is invalid: {error}", USAGE
        case OperationalError() if error.connection_invalidated or _is_connect_failure(error):
            return f"cannot reach the database at {store}: {_reason(error)}", FAILED
        case OperationalError() if "unable to open database file" in str(error.orig) and database_url:
            return _unopenable_sqlite(_sqlite_file(database_url), store), FAILED
        case OperationalError():
            return f"the database at {store} refused: {_reason(error)}", FAILED
        case DatabaseError() if "file is not a database" in str(error.orig) and database_url:
            return f"{_sqlite_file(database_url)} is not a SQLite database", FAILED
        case CommandError():
            return f"cannot migrate the database at {store}: {error}", FAILED
        case SlackApiError():
            return f"Slack answered {error.response.get('error', 'an error')}", FAILED
        case aiohttp.ClientError():  # before OSError: a failed connection is both
            return f"cannot reach Slack: {error}", FAILED
        case FileNotFoundError() | NotADirectoryError() if error.filename and _folder_problem(Path(error.filename)):
            return f"{error.filename}: {_folder_problem(Path(error.filename))}", FAILED
        case OSError() if error.errno == errno.EADDRINUSE:
            port = bound.group(1) if (bound := re.search(r"(\d+)\)", str(error))) else os.environ.get("PORT", "3000")
            return (f"port {port} is already in use: set PORT to a free one (herald socket --no-http serves "
                    "nothing on it)"), USAGE
        case OSError() if error.filename is not None:
            return f"{error.filename}: {error.strerror}", FAILED
        case OSError():
            return str(error), FAILED
    return None


def reader_went_away() -> int:
    """The exit status when stdout's reader closed it early (`herald export launches | head -5`): 1, as Python's
    own recipe has it (the output was cut short, which `set -o pipefail` should see), and nothing said, as `cat`
    says nothing. stdout now points at /dev/null, so the flush at exit cannot fail again (see "Note on SIGPIPE"
    in the docs of Python's `signal` module)."""
    if hasattr(sys.stdout, "fileno"):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush at exit
            pass
    return FAILED


def _is_connect_failure(error: OperationalError) -> bool:
    return str(error.orig).startswith(("connection failed", "failed to resolve host", "connection timeout"))


def _reason(error: OperationalError) -> str:
    """The driver's first line, from where it says what failed: `connection refused`, not the preamble."""
    first = str(error.orig).strip().splitlines()[0]
    reason = re.split(r"failed: (?:FATAL: +)?", first)[-1].strip()
    return reason[:1].lower() + reason[1:]


def _sqlite_file(database_url: str) -> Path:
    """The SQLite file a URL names, as SQLite opens it: relative to the working folder."""
    return Path(make_url(database_url).database or ".").resolve()


def _unopenable_sqlite(path: Path, store: str) -> str:
    if path.is_dir():
        return f"{path} is a folder, not a database file"
    problem = _folder_problem(path) or f"Herald cannot write to the folder {path.parent}"
    return f"cannot open the database at {store}: {problem}"


def _folder_problem(path: Path) -> str | None:
    """What keeps a file from being made at `path` for want of a folder, if that is what does."""
    if path.parent.is_dir():
        return None
    existing = next(folder for folder in path.parents if folder.exists() or folder == folder.parent)
    if existing.exists() and not existing.is_dir():
        return f"{existing} is a file, not a folder"
    return f"the folder {path.parent} does not exist"
