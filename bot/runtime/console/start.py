"""`herald console`: its store migrated (its own demo store, seeded, unless DATABASE_URL names a real one), problems
sent to a log file, then the session."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from bot.core.db import make_engine, migrate, session_scope, shown_url
from bot.core.settings import Settings, demo_store_path
from bot.launches.models import Launch
from bot.runtime.app import make_herald
from bot.runtime.console.completion import HeraldCompleter
from bot.runtime.console.readers import PipedReader, TerminalReader
from bot.runtime.console.screen import Screen
from bot.runtime.console.session import Console
from bot.runtime.console.slack import ConsoleWebClient
from bot.runtime.console.workspace import name_of, people
from bot.runtime.demo import CONSOLE_USER, DEMO_CHANNELS, seed_demo
from bot.runtime.failures import explain

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run_console(settings: Settings, *, verbose: bool = False) -> int:
    """Run the console until Ctrl-D or `exit`; `verbose` also shows the log on stderr.

    Without DATABASE_URL it keeps its own demo store beside the default one (which it never touches), seeded with
    the demo. With DATABASE_URL it works on that store as it is: no demo added, and nothing delivered, since a
    release announced here would be marked sent without ever reaching its Slack channel.
    """
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    folder = state_dir()
    log_file = log_to_file(folder / "console.log", verbose=verbose)
    demo = settings.default_store is not None
    if settings.default_store is not None:
        demo_store = demo_store_path(settings.default_store)
        demo_store.parent.mkdir(parents=True, exist_ok=True)
        settings = replace(settings, database_url=f"sqlite:///{demo_store}", default_store=None)
    store = shown_url(settings.database_url)
    try:
        migrate(settings.database_url)
        slack = ConsoleWebClient(sys.stdout, tty=tty, posts=demo, files_dir=folder)
        herald = make_herald(settings, make_engine(settings.database_url), slack=slack)
        with session_scope(herald.engine) as session:
            added = seed_demo(session, today=herald.today()) if demo else 0
            empty = session.exec(select(Launch.id)).first() is None
    except SQLAlchemyError as error:
        logging.getLogger(__name__).exception("the store at %s is not usable", store)
        line, status = explain(error, settings.database_url) or (f"the store at {store} is not usable", 1)
        print(f"herald: {line} (details in {log_file})", file=sys.stderr)
        return status
    reader = (TerminalReader(HeraldCompleter(herald.engine), history_file=folder / "console_history") if tty
              else PipedReader(sys.stdin, sys.stdout))
    greet(slack.screen, store=store, demo=demo, added=added, empty=empty, log_file=log_file)
    try:
        asyncio.run(Console(herald, reader, delivers=demo).repl())
    except KeyboardInterrupt:  # Ctrl-C while Herald was busy, outside a prompt
        pass
    return 0


def greet(screen: Screen, *, store: str, demo: bool, added: int, empty: bool, log_file: Path) -> None:
    screen.say("Herald console: Slack commands, answered here from the local store.", "bold")
    if demo:
        screen.say(f"Using the demo store at {store}" + (f"; loaded {added} demo launches." if added else "."))
    else:
        screen.say(f"Using the store at {store} (DATABASE_URL).")
        screen.say("This is your real store: announcements and digests are left for a running Herald to send, "
                   "and launch updates made here are recorded but not posted in Slack.")
        if empty:
            screen.say("It has no launches yet; `herald seed` adds the demo ones, if you want them there.")
    screen.say(f"Problems are logged to {log_file}", "dim")
    me = name_of(CONSOLE_USER)
    screen.say(f"You are @{me}; demo people: {' '.join('@' + name for name in people() if name != me)}; "
               f"channels: {' '.join('#' + name for name in DEMO_CHANNELS.values())}.")
    screen.say("Try /launch status, /whoowns billing, home. Tab completes, Up recalls, a button's number presses "
               "it, Ctrl-C clears the line, Ctrl-D quits.")


def state_dir() -> Path:
    """Where the console keeps its log and history: $XDG_STATE_HOME/herald, else a temporary folder."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    for folder in (base / "herald", Path(tempfile.gettempdir()) / f"herald-{os.getuid()}"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        except OSError:
            continue
    return Path.cwd()


def log_to_file(path: Path, *, verbose: bool) -> Path:
    """Every log record (Herald's, Bolt's, SQLAlchemy's, Alembic's) goes to `path`, none to the screen."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(to_file)
    if verbose:
        root.addHandler(logging.StreamHandler(sys.stderr))
    root.setLevel(logging.INFO)
    return path
