"""Several `herald serve` processes on one PostgreSQL database share the outbox: each channel hears once."""

from __future__ import annotations

import asyncio

from tests.support.replicas import (
    digest_due_at_start,
    needs_postgres,
    record_billing_release,
    start_replica,
    stop,
    subscribe_channels,
    wait_for,
)


async def test_two_replicas_fan_out_one_release_once_per_channel(database_url, engine, slack, tmp_path):
    needs_postgres(database_url)
    channels = [f"C0REPLICA{n:02}" for n in range(30)]
    subscribe_channels(engine, slack, channels)
    replicas = [start_replica(database_url, slack, tmp_path) for _ in range(2)]
    try:
        record_billing_release(engine, "9.9.9")  # recorded while both replicas' workers are polling
        await wait_for(lambda: all(slack.messages.get(channel) for channel in channels), replicas)
        await asyncio.sleep(2)  # time enough for a second copy to show up, were one coming
    finally:
        await stop(replicas)
    assert {channel: len(slack.messages.get(channel, [])) for channel in channels} == {c: 1 for c in channels}


async def test_two_replicas_starting_with_a_digest_due_post_it_once(database_url, engine, slack, tmp_path):
    needs_postgres(database_url)
    await digest_due_at_start(engine, slack, "C0DIGEST")
    replicas = [start_replica(database_url, slack, tmp_path) for _ in range(2)]
    try:
        await wait_for(lambda: slack.messages.get("C0DIGEST"), replicas)
        await asyncio.sleep(3)  # both have caught up by now
    finally:
        await stop(replicas)
    assert len(slack.messages["C0DIGEST"]) == 1
