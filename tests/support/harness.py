"""How the tests (conftest.py) and the benchmarks (bench/) set Herald up: its store, its settings, its HTTP app
and its Socket Mode connection.

The benchmarks import this module as the tests do, so a figure is measured on a Herald made the same
way as the one the tests check.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import sqlalchemy
from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.core.db import migrate
from bot.core.herald import Herald
from bot.core.settings import load_settings
from bot.runtime.app import create_app
from bot.runtime.server import make_web_app
from bot.runtime.socket_mode import SocketState, connected
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import Connection
from tests.support.slack_requests import SIGNING_SECRET, SlackSender

BOT_TOKEN = "xoxb-test-token"


@contextmanager
def scratch_postgres_database(server_url: str, *, prefix: str) -> Iterator[str]:
    """A migrated, empty database of its own on the PostgreSQL server at `server_url`, dropped afterwards.

    A database per run rather than the one named in `server_url`, so that runs never see each other's
    rows and leave nothing behind; WITH (FORCE) drops it even if a connection is still open.
    Raises sqlalchemy.exc.OperationalError, before creating anything, when the server cannot be reached.
    """
    admin_url = load_settings({"DATABASE_URL": server_url}).database_url
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_store(database_url: str | None) -> Iterator[tuple[str, str]]:
    """A benchmark's store, from its --database-url option: the store's URL and how the report names it.

    A migrated, empty temporary SQLite file by default, or a scratch database on the PostgreSQL server
    given; either is gone when the run ends, so a benchmark always starts from nothing.
    """
    if database_url is None:
        with tempfile.TemporaryDirectory(prefix="herald-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'herald.db'}"
            migrate(url)
            yield url, "SQLite (temporary file)"
        return
    if not load_settings({"DATABASE_URL": database_url}).database_url.startswith("postgresql"):
        raise SystemExit(f"--database-url: expected a postgresql:// URL, got {database_url!r}")
    with scratch_postgres_database(database_url, prefix="herald_bench") as url:
        server = sqlalchemy.make_url(url)
        yield url, f"PostgreSQL ({server.host}:{server.port or 5432}, scratch database {server.database})"


def herald_environment(*, bot_token: str, slack_api_url: str, database_url: str) -> dict[str, str]:
    """Herald's environment for serving HTTP against a fake Slack.

    Requests are signed with slack_requests.SIGNING_SECRET; the zone is fixed so that dates and times
    render the same on every machine.
    """
    return {
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "DATABASE_URL": database_url,
        "HERALD_TIMEZONE": "Europe/Berlin",
    }


@asynccontextmanager
async def served(web_app: web.Application) -> AsyncIterator[str]:
    """`web_app` over real HTTP on 127.0.0.1 until the block ends; yields its base URL, http://127.0.0.1:PORT.

    The port is one the OS picks (port 0), so that parallel runs never collide.
    """
    runner = web.AppRunner(web_app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


TRANSPORTS = ("http", "socket")


@asynccontextmanager
async def herald_over(transport: str, herald: Herald, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    """Herald answering the fake Slack over `transport`, as `herald serve` or `herald socket` runs it.

    "http": its web app with POST /slack/events. "socket": the same Bolt app on a Socket Mode connection to
    the fake Slack, kept by the ConnectionKeeper `herald socket` uses, beside the web app's socket form
    (health, webhooks). Either way the sender's base_url is that web app.
    """
    app = create_app(herald)
    if transport == "http":
        async with served(make_web_app(app, herald)) as base_url, SlackSender(base_url, slack=slack,
                                                                               herald=herald) as sending:
            yield sending
        return
    state = SocketState()
    async with on_socket(app, slack, state=state), served(make_web_app(None, herald, socket=state)) as base_url, \
            SlackSender(base_url, slack=slack, herald=herald, transport="socket") as sending:
        yield sending


@asynccontextmanager
async def on_socket(app: AsyncApp, slack: FakeSlack, *, state: SocketState | None = None) -> AsyncIterator[Connection]:
    """`app` connected to the fake Slack in Socket Mode as `herald socket` connects Herald's (socket_mode.connected);
    yields the connection as Slack sees it, to send envelopes on that app alone."""
    peer = slack.socket_mode
    newest = peer.connections[-1] if peer.connections else None  # other apps' connections, already open
    async with connected(app, slack.app_token, state or SocketState()):
        yield await peer.wait_for(newer_than=newest)
