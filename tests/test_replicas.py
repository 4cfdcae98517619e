"""Several `herald serve` processes on one PostgreSQL database share the outbox: each channel hears once."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from bot.core.db import session_scope
from bot.digests.schedules import Schedule
from bot.digests.service import set_digest
from bot.releases.recording import ReleaseInput, record_release, subscribe
from tests.support.harness import BOT_TOKEN
from tests.support.slack_requests import SIGNING_SECRET


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_replica(database_url: str, slack_url: str, workdir, *, port: int | None = None) -> subprocess.Popen:
    """`herald serve` in a process of its own; its instance id is the host and `port`, as in production."""
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack_url,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": str(port or free_port())}
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("HERALD_INSTANCE_ID", None)
    return subprocess.Popen([sys.executable, "-m", "bot.runtime.cli", "serve"], env=env, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def needs_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several replicas share one PostgreSQL database; SQLite serves a single process")


async def wait_for(condition, replicas: list[subprocess.Popen], *, seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        assert all(replica.poll() is None for replica in replicas), replicas[0].stderr.read().decode()
        await asyncio.sleep(0.1)


def stop(replicas: list[subprocess.Popen]) -> None:
    for replica in replicas:
        replica.terminate()
        replica.wait(timeout=10)


async def test_two_replicas_fan_out_one_release_once_per_channel(database_url, engine, slack, tmp_path):
    needs_postgres(database_url)
    channels = [f"C0REPLICA{n:02}" for n in range(30)]
    with session_scope(engine) as session:
        for channel in channels:
            slack.add_channel(channel, channel.lower())
            subscribe(session, channel_id=channel, spec="billing", prereleases=False, actor_id="U0ANN")
    replicas = [start_replica(database_url, slack.base_url, tmp_path) for _ in range(2)]
    try:
        with session_scope(engine) as session:  # recorded while both replicas' workers are polling
            record_release(session, ReleaseInput(component="billing", version="9.9.9", source="cli"),
                           now=datetime.now(timezone.utc))
        await wait_for(lambda: all(slack.messages.get(channel) for channel in channels), replicas)
        await asyncio.sleep(2)  # time enough for a second copy to show up, were one coming
    finally:
        stop(replicas)
    assert {channel: len(slack.messages.get(channel, [])) for channel in channels} == {c: 1 for c in channels}


async def test_two_replicas_starting_with_a_digest_due_post_it_once(database_url, engine, slack, tmp_path):
    needs_postgres(database_url)
    slack.add_channel("C0DIGEST", "digest")
    with session_scope(engine) as session:  # hourly, so one is always due within the grace period
        set_digest(session, channel_id="C0DIGEST", personal=False, schedule=Schedule("0 * * * *", "UTC"),
                   filters={}, always=True, actor_id="U0ANN")
    now = datetime.now(timezone.utc)
    if now.minute == 59 and now.second > 20:  # both replicas must see the same hour as due
        await asyncio.sleep(61 - now.second)
    replicas = [start_replica(database_url, slack.base_url, tmp_path) for _ in range(2)]
    try:
        await wait_for(lambda: slack.messages.get("C0DIGEST"), replicas)
        await asyncio.sleep(3)  # both have caught up by now
    finally:
        stop(replicas)
    assert len(slack.messages["C0DIGEST"]) == 1
