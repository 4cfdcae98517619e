"""Recording a release is idempotent across replicas: one release sent to two at once is stored and announced once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

import aiohttp
import pytest
import sqlalchemy
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.settings import load_settings
from bot.releases import service as releases
from bot.releases.models import Delivery, Release
from bot.releases.recording import ReleaseInput, record_release, withdraw_release
from bot.releases.service import Outcome
from bot.runtime.app import create_app, make_herald
from bot.runtime.server import make_web_app
from tests.support.harness import scratch_postgres_database, served
from tests.support.races import meeting_before
from tests.test_release_delivery import announcements, drain, new_worker, subscribe_channels

CI_TOKEN = "ci-token"
CHANNELS = ["C0ONE", "C0TWO", "C0THREE"]


@pytest.fixture
def settings_env(settings_env):
    return settings_env | {"HERALD_WEBHOOK_TOKEN": CI_TOKEN}


def stored(engine, model) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


def ci_release(external_id: str | None) -> ReleaseInput:
    """What the CI webhook makes of {"id": ..., "component": "Billing", "version": "1.4.0", ...}."""
    return ReleaseInput(component="Billing", version="1.4.0", source="webhook", notes="- faster invoices",
                        external_id=external_id)


@pytest.mark.parametrize("external_id", ["ci:build-881", None], ids=["with an id", "without an id"])
async def test_one_webhook_at_two_replicas_at_once_is_one_release_announced_once(herald, slack, engine, external_id):
    subscribe_channels(herald, slack, CHANNELS)
    with meeting_before(engine, "INSERT INTO release ("):
        answers = await asyncio.gather(*(asyncio.to_thread(releases.apply_webhook, herald, "publish",
                                                           ci_release(external_id)) for _ in range(2)))
    [release] = stored(engine, Release)
    assert sorted(answer.outcome for answer in answers) == [Outcome.RECORDED, Outcome.UPDATED]
    assert {answer.release_id for answer in answers} == {release.id}
    assert (release.revision, release.fanned_out) == (1, True)
    assert sorted(d.channel_id for d in stored(engine, Delivery)) == sorted(CHANNELS)


async def test_one_release_form_submitted_at_two_replicas_at_once_is_one_release(herald, slack, engine):
    subscribe_channels(herald, slack, CHANNELS)
    data = ReleaseInput(component="billing", version="1.4.0", source="slack", created_by="U0ANN")
    with meeting_before(engine, "INSERT INTO release ("):
        ids = await asyncio.gather(*(asyncio.to_thread(releases.record, herald, data) for _ in range(2)))
    [release] = stored(engine, Release)
    assert ids == [release.id, release.id]
    assert len(stored(engine, Delivery)) == len(CHANNELS)


@contextmanager
def replica(settings_env: dict[str, str], engine: sqlalchemy.Engine, clock) -> Iterator[str]:
    """Another Herald serving HTTP on the same store, with a thread and event loop of its own as a process has.

    Herald works with its store inside its event loop, so two replicas must not share one: each would wait
    for the other at the meeting before the insert. Yields the replica's base URL.
    """
    loop, address, stop = asyncio.new_event_loop(), Future(), asyncio.Event()

    async def serve() -> None:
        try:
            herald = make_herald(load_settings(settings_env), engine, clock=clock)
            async with served(make_web_app(create_app(herald), herald)) as base_url:
                address.set_result(base_url)
                await stop.wait()
        except BaseException as error:
            if not address.done():
                address.set_exception(error)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    try:
        yield address.result(timeout=10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()


@pytest.mark.parametrize("body", [{"id": "build-881"}, {}], ids=["with an id", "without an id"])
async def test_the_same_ci_webhook_to_two_replicas_at_once_gets_two_2xx_and_one_announcement_per_channel(
    herald, slack, engine, settings_env, clock, body
):
    subscribe_channels(herald, slack, CHANNELS)
    body |= {"component": "Billing", "version": "1.4.0", "notes": "- faster invoices"}
    headers = {"Authorization": f"Bearer {CI_TOKEN}"}

    async def send(session: aiohttp.ClientSession, base_url: str) -> tuple[int, dict]:
        async with session.post(base_url + "/webhooks/release", json=body, headers=headers) as response:
            return response.status, await response.json()

    with ExitStack() as replicas:
        base_urls = [replicas.enter_context(replica(settings_env, engine, clock)) for _ in range(2)]
        with meeting_before(engine, "INSERT INTO release ("):
            async with aiohttp.ClientSession() as session:
                answers = await asyncio.gather(*(send(session, base_url) for base_url in base_urls))

    [release] = stored(engine, Release)
    assert sorted(status for status, _ in answers) == [200, 201]
    assert [answer["release_id"] for _, answer in answers] == [release.id, release.id]
    await drain(new_worker(herald))
    await drain(new_worker(herald))
    assert {channel: len(announcements(slack, channel)) for channel in CHANNELS} == {c: 1 for c in CHANNELS}


async def test_a_release_is_found_again_by_its_id_even_withdrawn_and_by_version_only_while_live(herald, engine):
    now = herald.clock()
    with session_scope(engine) as session:
        by_id = record_release(session, ci_release("ci:build-881"), now=now)
        assert record_release(session, ci_release(None), now=now).id == by_id.id  # the same version, live: an edit
        withdraw_release(session, by_id)
        by_version = record_release(session, ci_release(None), now=now)  # re-released after the withdrawal
        withdraw_release(session, by_version)
    with session_scope(engine) as session:  # a stale publish of a deleted release must not announce it again
        assert record_release(session, ci_release("ci:build-881"), now=now).id == by_id.id
        again = record_release(session, ci_release(None), now=now)  # re-released after a withdrawal: a new one
    assert again.id not in (by_id.id, by_version.id) and again.fanned_out
    assert sorted((r.release_key, r.withdrawn) for r in stored(engine, Release)) == [
        ("id:webhook:ci:build-881", True), ("version:billing:1.4.0", False), ("version:billing:1.4.0", True)]


def alembic(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "bot:migrations")
    config.attributes["database_url"] = url
    return config


@contextmanager
def store_at_0006(database_url: str, tmp_path) -> Iterator[str]:
    """A store of its own with the schema as it was before releases had a key."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'before.db'}"
        command.upgrade(alembic(url), "0006")
        yield url
        return
    with scratch_postgres_database(database_url, prefix="herald_keys") as url:
        command.downgrade(alembic(url), "0006")
        yield url


LEGACY = sqlalchemy.table(
    "release", *(sqlalchemy.column(name) for name in (
        "id", "component", "component_name", "version", "notes", "prerelease", "announce_at", "fanned_out",
        "withdrawn", "revision", "source", "external_id", "created_at")),
    sqlalchemy.column("tags", sqlalchemy.JSON),
)


def test_upgrading_gives_every_stored_release_its_key_and_keeps_past_duplicates_apart(database_url, tmp_path):
    at = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [  # id, source, external id, withdrawn: two live billing 1.4.0 recorded by racing replicas
        (1, "github", "github:7:42", False), (2, "cli", None, False), (3, "webhook", None, False),
        (4, "slack", None, True), (5, "github", "github:7:43", True),
    ]
    with store_at_0006(database_url, tmp_path) as url:
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sqlalchemy.insert(LEGACY), [
                {"id": id_, "component": "billing", "component_name": "Billing", "version": "1.4.0", "notes": "",
                 "tags": [], "prerelease": False, "announce_at": at, "fanned_out": True, "withdrawn": withdrawn,
                 "revision": 1, "source": source, "external_id": external_id, "created_at": at}
                for id_, source, external_id, withdrawn in rows])
        command.upgrade(alembic(url), "0007")
        with engine.connect() as connection:
            keys = connection.execute(sqlalchemy.text("SELECT id, release_key FROM release ORDER BY id")).all()
        engine.dispose()
    assert keys == [(1, "id:github:github:7:42"), (2, "version:billing:1.4.0"), (3, "version:billing:1.4.0 #3"),
                    (4, "version:billing:1.4.0"), (5, "id:github:github:7:43")]
