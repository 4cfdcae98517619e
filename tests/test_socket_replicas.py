"""Two `herald socket` processes on one PostgreSQL database share the envelopes Slack spreads over their connections:
each command and event is answered once, and the release outbox and digests still run once between them."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.launches.models import Launch
from bot.releases.models import Delivery, DeliveryState
from bot.releases.outbox import LEASE
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import Connection, NotAcked
from tests.support.replicas import (
    Replica,
    digest_due_at_start,
    needs_postgres,
    record_billing_release,
    start_replica,
    stop,
    subscribe_channels,
    wait_for,
)
from tests.support.slack_requests import event_payload, slash_command_form

STARTING = 20.0  # seconds a process has to import, migrate and open its connection
QUIET = 1.0  # seconds without a Slack call after which nothing more is coming


@pytest.fixture(autouse=True)
def two_processes_need_postgres(database_url: str) -> None:
    needs_postgres(database_url)


class Running(NamedTuple):
    """A `herald socket` process and the connection it holds."""

    replica: Replica
    connection: Connection


@asynccontextmanager
async def socket_replicas(database_url: str, slack: FakeSlack, workdir: Path) -> AsyncIterator[list[Running]]:
    """Two `herald socket --no-http` processes, started one after the other so that each connection is known to
    belong to its process; stopped with SIGTERM at the end."""
    started: list[Running] = []
    try:
        for _ in range(2):
            replica = start_replica(database_url, slack, workdir, mode="socket")
            newest = started[-1].connection if started else None
            try:
                connection = await slack.socket_mode.wait_for(1, newer_than=newest, timeout=STARTING)
            except TimeoutError:
                pytest.fail(f"herald socket opened no connection in {STARTING:g} s:\n{replica.logged()}")
            started.append(Running(replica, connection))
        await slack.socket_mode.wait_for(2)
        yield started
    finally:
        await stop([running.replica for running in started])


async def command(slack: FakeSlack, text: str, *, to: Connection | None = None) -> dict[str, Any]:
    """`/launch <text>` on `to`, or on the next connection in turn; its ack's payload, which must come within 3 s."""
    form = slash_command_form(text, response_url=slack.response_url("command"))
    return await slack.socket_mode.send("slash_commands", form, to=to)


def mention(n: int) -> dict[str, Any]:
    """A question to Herald in the `n`th thread of #general."""
    return event_payload("slack/event_callback.app_mention.json", {
        "text": "<@UHERALDBOT> who owns billing?", "channel": "C0GENERAL", "user": "U0BOB",
        "thread_ts": f"1700000100.{n:06}", "ts": f"1700000200.{n:06}"}, event_id=f"Ev0MENTION{n:02}")  # fmt: skip


def direct_message(n: int) -> dict[str, Any]:
    return event_payload("slack/event_callback.message.im.json", {
        "text": "hello", "channel": f"D0DM{n:02}", "user": "U0ANN"}, event_id=f"Ev0DM{n:02}")  # fmt: skip


def where_answered(event: dict[str, Any]) -> tuple[str, str | None]:
    """The channel and thread Herald's answer to `event` goes to: a mention's thread, or the DM itself."""
    inner = event["event"]
    return inner["channel"], inner.get("thread_ts")


def answers(slack: FakeSlack) -> Counter[tuple[str, str | None]]:
    """Herald's posts by channel and thread, every call Slack received (not only those that landed)."""
    return Counter((call.args["channel"], call.args.get("thread_ts"))
                   for call in slack.received if call.method == "chat.postMessage")


async def quiet(slack: FakeSlack, replicas: list[Replica]) -> None:
    """Until Slack has heard nothing for QUIET seconds: a second copy of anything would have come by then."""
    while await wait_for(anything_new(slack), replicas, seconds=QUIET):
        continue


def anything_new(slack: FakeSlack) -> Callable[[], bool]:
    heard = len(slack.received)
    return lambda: len(slack.received) != heard


async def test_slash_commands_spread_over_both_processes_are_each_answered_within_the_ack(
        database_url, engine, slack, tmp_path):
    async with socket_replicas(database_url, slack, tmp_path) as running:
        names = [f"Launch {n:02}" for n in range(10)]
        created = await asyncio.gather(*(command(slack, f"new {name}") for name in names))  # in turn, as Slack does
        assert [answer["blocks"][0]["text"]["text"] for answer in created] == names
        assert [len(r.connection.envelopes) for r in running] == [5, 5]
        # Each launch's card asked of the process that did not create it.
        elsewhere = {envelope["payload"]["text"].removeprefix("new "): running[1 - n].connection
                     for n, r in enumerate(running) for envelope in r.connection.envelopes}
        shown = await asyncio.gather(*(command(slack, f"status {name}", to=elsewhere[name]) for name in names))
        assert [answer["blocks"][0]["text"]["text"] for answer in shown] == names
        boards = await asyncio.gather(*(command(slack, "status", to=r.connection) for r in running))
        assert ["Active launches (10)" in str(board) for board in boards] == [True, True]

        both = await asyncio.gather(*(command(slack, "new Same name", to=r.connection) for r in running))
        assert sorted("already a launch called" in str(answer) for answer in both) == [False, True]
    with Session(engine) as session:
        assert Counter(session.exec(select(Launch.name)).all()) == Counter([*names, "Same name"])


async def deliver_twice(slack: FakeSlack, event: dict[str, Any], first: Connection, then: Connection, *,
                        at_once: bool) -> None:
    """An event on `first`, and Slack's re-send on `then` as if the first ack had not come within 3 s: after
    that ack, or at the same moment (the first process still busy with it)."""
    original = slack.socket_mode.send("events_api", event, to=first)
    again = slack.socket_mode.send("events_api", event, to=then, retry_attempt=1, retry_reason="timeout")
    if at_once:
        await asyncio.gather(original, again)
    else:
        await original
        await again


async def test_each_event_resent_on_the_other_connection_is_answered_once(database_url, engine, slack, tmp_path):
    events = [*(mention(n) for n in range(6)), *(direct_message(n) for n in range(6))]
    async with socket_replicas(database_url, slack, tmp_path) as running:
        connections = [r.connection for r in running]
        await asyncio.gather(*(deliver_twice(slack, event, connections[n % 2], connections[1 - n % 2],
                                             at_once=n % 3 == 0) for n, event in enumerate(events)))
        replicas = [r.replica for r in running]
        assert await wait_for(lambda: len(answers(slack)) == len(events), replicas)
        await quiet(slack, replicas)
    assert answers(slack) == Counter(where_answered(event) for event in events)


async def test_a_release_reaches_each_channel_once_and_a_due_digest_is_posted_once(database_url, engine, slack,
                                                                                   tmp_path):
    channels = [f"C0SOCKET{n:02}" for n in range(30)]
    subscribe_channels(engine, slack, channels)
    await digest_due_at_start(engine, slack, "C0DIGEST")
    async with socket_replicas(database_url, slack, tmp_path) as running:
        record_billing_release(engine, "9.9.9")  # recorded while both processes' workers are polling
        replicas = [r.replica for r in running]
        assert await wait_for(lambda: all(slack.messages[channel] for channel in [*channels, "C0DIGEST"]), replicas)
        await quiet(slack, replicas)
    assert {channel: len(slack.messages[channel]) for channel in [*channels, "C0DIGEST"]} == dict.fromkeys(
        [*channels, "C0DIGEST"], 1)


async def test_after_sigkill_slack_sends_to_the_process_left_which_answers_everything_once(database_url, engine,
                                                                                          slack, tmp_path):
    async with socket_replicas(database_url, slack, tmp_path) as (doomed, survivor):
        await command(slack, "new Before", to=doomed.connection)
        doomed.replica.send_signal(signal.SIGSTOP)  # hung, then killed: the event on its connection is never acked
        with pytest.raises(NotAcked):
            await slack.socket_mode.send("events_api", mention(0), to=doomed.connection)
        doomed.replica.kill()
        await slack.socket_mode.send("events_api", mention(0), to=survivor.connection, retry_attempt=1,
                                     retry_reason="timeout")
        assert await wait_for(lambda: slack.socket_mode.live == [survivor.connection], [survivor.replica], seconds=5)

        names = [f"After {n}" for n in range(6)]
        created = await asyncio.gather(*(command(slack, f"new {name}") for name in names))  # in turn: one left
        events = [mention(n) for n in range(1, 4)] + [direct_message(n) for n in range(3)]
        await asyncio.gather(*(slack.socket_mode.send("events_api", event) for event in events))
        assert await wait_for(lambda: len(answers(slack)) == 1 + len(events), [survivor.replica])
        await quiet(slack, [survivor.replica])
    assert [answer["blocks"][0]["text"]["text"] for answer in created] == names
    assert len(survivor.connection.envelopes) == 1 + len(names) + len(events)
    assert answers(slack) == Counter(where_answered(event) for event in [mention(0), *events])
    with Session(engine) as session:
        assert sorted(session.exec(select(Launch.name)).all()) == ["After 0", "After 1", "After 2", "After 3",
                                                                   "After 4", "After 5", "Before"]


def held_by(engine: Engine, replica: Replica) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.leased_by == replica.instance)).all())


def unsent(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Delivery.id).where(col(Delivery.state) != DeliveryState.SENT)).all())


async def test_sigterm_mid_fan_out_exits_at_once_and_the_other_process_carries_on(database_url, engine, slack,
                                                                                 tmp_path):
    channels = [f"C0SIGTERM{n:02}" for n in range(30)]
    subscribe_channels(engine, slack, channels)
    slack.slow("chat.postMessage", 0.5)
    async with socket_replicas(database_url, slack, tmp_path) as running:
        record_billing_release(engine, "9.9.9")
        replicas = [r.replica for r in running]
        assert await wait_for(lambda: any(held_by(engine, replica) for replica in replicas), replicas, seconds=10)
        leaving, staying = sorted(running, key=lambda r: not held_by(engine, r.replica))  # one posting now leaves
        stopping = time.monotonic()
        leaving.replica.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(leaving.replica.wait, 10) == 0
        stopped_in = time.monotonic() - stopping
        assert held_by(engine, leaving.replica) == []
        assert await wait_for(lambda: slack.socket_mode.live == [staying.connection], [staying.replica], seconds=5)

        answer = await command(slack, "new After")
        handed_back = time.monotonic()
        assert await wait_for(lambda: unsent(engine) == 0, [staying.replica], seconds=30)
        finished_in = time.monotonic() - handed_back
        await quiet(slack, [staying.replica])
    assert stopped_in < 5, f"SIGTERM took {stopped_in:.1f} s"
    assert answer["blocks"][0]["text"]["text"] == "After"
    assert finished_in < LEASE.total_seconds(), "the other process waited for the leases to run out"
    assert {channel: len(slack.messages[channel]) for channel in channels} == dict.fromkeys(channels, 1)


async def test_sigterm_lets_the_answer_to_an_event_it_acked_reach_slack(database_url, engine, slack, tmp_path):
    slack.slow("chat.postMessage", 1.0, even_if_abandoned=False)  # still on its way when SIGTERM comes
    async with socket_replicas(database_url, slack, tmp_path) as (leaving, _staying):
        await slack.socket_mode.send("events_api", mention(0), to=leaving.connection)  # acked: Slack never re-sends it
        leaving.replica.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(leaving.replica.wait, 10) == 0
    assert len(slack.messages["C0GENERAL"]) == 1
