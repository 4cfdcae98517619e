"""Real `herald serve` processes stopped mid fan-out: SIGTERM hands back what it holds, SIGKILL loses and doubles nothing.

The fake Slack carries out a post even after the process that sent it died (unless told the post died
with it), as Slack would; each test asserts that every channel holds the announcement exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from sqlmodel import Session, col, select

from bot.releases.models import Delivery, DeliveryState
from tests.support.replicas import (
    free_port,
    record_billing_release,
    start_replica,
    stop,
    subscribe_channels,
    wait_for,
)

CHANNELS = [f"C0RESTART{n:02}" for n in range(20)]


def posts_received(slack) -> int:
    return sum(call.method == "chat.postMessage" for call in slack.received)


def all_sent(engine) -> bool:
    with Session(engine) as session:
        return session.exec(select(Delivery.id).where(col(Delivery.state) != DeliveryState.SENT)).first() is None


def copies(slack) -> dict[str, int]:
    return {channel: len(slack.messages.get(channel, [])) for channel in CHANNELS}


async def test_sigterm_lets_posts_in_flight_finish_and_hands_back_the_rest(database_url, engine, slack, tmp_path):
    subscribe_channels(engine, slack, CHANNELS)
    slack.slow("chat.postMessage", 0.5)
    first = start_replica(database_url, slack, tmp_path, port=free_port())
    try:
        record_billing_release(engine, "3.0.0")
        await wait_for(lambda: posts_received(slack) >= 5, [first])
        first.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(first.wait, 15) == 0
    finally:
        await stop([first])
    with Session(engine) as session:
        rows = session.exec(select(Delivery)).all()
    assert [row for row in rows if row.lease_token is not None or row.state == DeliveryState.SENDING] == []
    assert sum(row.state == DeliveryState.SENT for row in rows) == posts_received(slack)  # none cut off

    slack.slow("chat.postMessage", 0)
    second = start_replica(database_url, slack, tmp_path, port=free_port())
    try:
        started = time.monotonic()
        await wait_for(lambda: all_sent(engine), [second], seconds=20)
        assert time.monotonic() - started < 20
        await asyncio.sleep(1)
    finally:
        await stop([second])
    assert copies(slack) == {channel: 1 for channel in CHANNELS}


@pytest.mark.parametrize("posts", ["landed", "died with the process"])
async def test_after_sigkill_the_restarted_process_serves_every_channel_once_within_20_s(
        posts, database_url, engine, slack, tmp_path):
    subscribe_channels(engine, slack, CHANNELS)
    slack.slow("chat.postMessage", 1.0, even_if_abandoned=posts == "landed")
    port = free_port()
    replica = start_replica(database_url, slack, tmp_path, port=port)
    try:
        record_billing_release(engine, "3.0.0")
        await wait_for(lambda: posts_received(slack) >= len(CHANNELS), [replica])
        replica.kill()
        replica.wait(timeout=10)
    finally:
        await stop([replica])
    await asyncio.sleep(1.2)  # whatever was going to land has landed
    slack.slow("chat.postMessage", 0)
    slack.rate_limit("conversations.history", times=5, retry_after=1)  # and Tier 3 is busy at first

    restarted = start_replica(database_url, slack, tmp_path, port=port)  # same host and port
    try:
        started = time.monotonic()
        await wait_for(lambda: all_sent(engine), [restarted], seconds=20)
        assert time.monotonic() - started < 20, copies(slack)
        await asyncio.sleep(1)
    finally:
        await stop([restarted])
    assert copies(slack) == {channel: 1 for channel in CHANNELS}
