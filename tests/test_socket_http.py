"""What `herald socket` serves on PORT: health of the connection and the store, and the release webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.core.settings import load_settings
from bot.releases.models import Release
from bot.runtime.app import make_herald
from bot.runtime.server import make_web_app
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
