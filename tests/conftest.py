"""Shared fixtures: a real store (SQLite and PostgreSQL), a fake Slack over HTTP, and Herald answering it over HTTP
and over Socket Mode."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import datetime, timezone

import pytest
import sqlalchemy
from sqlmodel import SQLModel

from bot.core.db import make_engine, migrate
from bot.core.herald import Herald
from bot.core.settings import load_settings
from bot.runtime.app import make_herald
from tests.support.fake_slack import FakeSlack
from tests.support.harness import BOT_TOKEN, TRANSPORTS, herald_environment, herald_over, scratch_postgres_database
from tests.support.slack_requests import SlackSender

POSTGRES_URL = os.environ.get("HERALD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


class Clock:
    """Herald's notion of now, set by tests instead of sleeping."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database for this run, on each store Herald supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'herald.db'}"
        migrate(url)
        yield url
        return
    with ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_postgres_database(POSTGRES_URL, prefix="herald_test"))
        except sqlalchemy.exc.OperationalError as error:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.orig}")
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[sqlalchemy.Engine]:
    """The run's database, emptied after each test."""
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def cli_environment(monkeypatch, tmp_path, database_url) -> None:
    """The CLI against the run's store, from tmp_path (so no .env is read), with no Slack."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "HERALD_ADMINS",
                 "HERALD_TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN) as fake:
        fake.add_channel("C0LAUNCHES", "launches")
        fake.add_channel("C0GENERAL", "general")
        fake.add_user("U0ANN", "ann")
        fake.add_user("U0BOB", "bob")
        yield fake


@pytest.fixture
def settings_env(slack: FakeSlack, database_url: str) -> dict[str, str]:
    return herald_environment(bot_token=BOT_TOKEN, slack_api_url=slack.base_url, database_url=database_url)


@pytest.fixture
def herald(settings_env: dict[str, str], engine: sqlalchemy.Engine, clock: Clock) -> Herald:
    herald = make_herald(load_settings(settings_env), engine, clock=clock)
    return herald


@pytest.fixture(params=TRANSPORTS)
async def sender(request, herald: Herald, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    """Herald answering Slack over each transport (signed HTTP, Socket Mode), and a way to send it what Slack sends."""
    async with herald_over(request.param, herald, slack) as sending:
        yield sending


@pytest.fixture
async def http_sender(herald: Herald, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    """For what only HTTP has: signatures, timestamps, URL verification, raw bodies on /slack/events."""
    async with herald_over("http", herald, slack) as sending:
        yield sending
