"""What `herald socket` serves on PORT: health of the connection and the store, and the release webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
import sqlalchemy
from sqlmodel import Session, select

from bot.core.db import make_engine
from bot.core.settings import load_settings
from bot.releases.models import Release
from bot.runtime.app import make_herald
from bot.runtime.server import HEALTH_WAIT, make_web_app
from bot.runtime.socket_mode import SocketState
from tests.support.harness import served

CI_TOKEN = "ci-token"
GITHUB_SECRET = "github-secret"


@pytest.fixture
def settings_env(settings_env):
    return settings_env | {"HERALD_WEBHOOK_TOKEN": CI_TOKEN, "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET}


@pytest.fixture
def socket_state(clock) -> SocketState:
    return SocketState(clock=clock)


@pytest.fixture
async def base_url(settings_env, engine, clock, socket_state) -> AsyncIterator[str]:
    """Herald's web app in its socket form, on an ephemeral port; the connection is whatever the test sets."""
    herald = make_herald(load_settings(settings_env), engine, clock=clock)
    async with served(make_web_app(None, herald, socket=socket_state)) as url:
        yield url


async def get_health(base_url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(base_url + "/healthz") as response:
        return response.status, await response.json()


async def test_health_is_200_with_the_socket_connected_and_since_when(base_url, socket_state, clock):
    clock.now += timedelta(seconds=30)
    socket_state.update(True)
    assert await get_health(base_url) == (200, {"ok": True, "socket": "connected", "since": clock.now.isoformat(),
                                                "store": "reachable"})


async def test_health_stays_200_in_the_first_seconds_of_a_disconnect(base_url, socket_state, clock):
    socket_state.update(True)
    clock.now += timedelta(minutes=1)
    socket_state.update(False)
    clock.now += timedelta(seconds=4)
    status, health = await get_health(base_url)
    assert (status, health["ok"], health["socket"]) == (200, True, "disconnected")


async def test_health_is_503_once_the_socket_is_down_longer_than_five_seconds(base_url, socket_state, clock):
    socket_state.update(True)
    clock.now += timedelta(minutes=1)
    socket_state.update(False)
    went_down = clock.now
    clock.now += timedelta(seconds=6)
    assert await get_health(base_url) == (503, {"ok": False, "socket": "disconnected",
                                                "since": went_down.isoformat(), "store": "reachable"})


async def test_health_is_200_while_connecting_at_start_then_503_if_it_never_connects(base_url, clock):
    assert (await get_health(base_url))[0] == 200
    clock.now += timedelta(seconds=6)
    assert (await get_health(base_url))[0] == 503


async def test_release_webhook_records_a_release_in_socket_mode(base_url, engine, socket_state):
    socket_state.update(True)
    body = {"id": "build-881", "component": "Billing", "version": "1.4.0", "notes": "- faster invoices"}
    async with aiohttp.ClientSession() as session, session.post(
        base_url + "/webhooks/release", json=body, headers={"Authorization": f"Bearer {CI_TOKEN}"}
    ) as response:
        assert response.status == 201
        answer = await response.json()
    with Session(engine) as session:
        [release] = session.exec(select(Release)).all()
    assert (release.id, release.version) == (answer["release_id"], "1.4.0")


async def test_github_webhook_answers_a_signed_ping_in_socket_mode(base_url):
    body = json.dumps({"zen": "Keep it logically awesome."}).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.post(
        base_url + "/webhooks/github", data=body, headers=headers
    ) as response:
        assert response.status == 200


async def test_slack_events_is_not_served_in_socket_mode(base_url):
    async with aiohttp.ClientSession() as session, session.post(base_url + "/slack/events", data=b"{}") as response:
        assert response.status == 404


class BlackHole:
    """A TCP relay to the store that, once told to, swallows everything: a network path that stops answering."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.swallowing = False
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> BlackHole:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self.writers:
            writer.transport.abort()
        self.server.close()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self.writers += [client_writer, server_writer]

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(65536):
                if not self.swallowing:
                    writer.write(data)
                    await writer.drain()

        await asyncio.gather(pump(client_reader, server_writer), pump(server_reader, client_writer),
                             return_exceptions=True)


async def test_health_says_503_in_time_when_the_store_stops_answering_and_holds_nothing_up(
        database_url, settings_env, clock, socket_state):
    """The probe used to run on the event loop: a store that stopped answering froze every ack with it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a network path that stops answering needs a store over the network")
    store = sqlalchemy.make_url(database_url)
    async with BlackHole(store.host, store.port or 5432) as hole:
        relayed = store.set(host="127.0.0.1", port=hole.port).render_as_string(hide_password=False)
        engine = make_engine(relayed)
        herald = make_herald(load_settings(settings_env | {"DATABASE_URL": relayed}), engine, clock=clock)
        socket_state.update(True)
        async with served(make_web_app(None, herald, socket=socket_state)) as url:
            assert (await get_health(url))[0] == 200
            hole.swallowing = True
            for _ in range(3):  # each answered in time, with one probe still stuck in its thread
                started = time.monotonic()
                assert await get_health(url) == (503, {"ok": False, "socket": "connected",
                                                       "since": clock.now.isoformat(), "store": "unreachable"})
                assert time.monotonic() - started < HEALTH_WAIT + 1
    engine.dispose()
