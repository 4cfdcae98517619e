"""Exactly once under faults: the outbox against a fake Slack that fails, stalls and drops calls, and two workers.

Each test asserts what Slack received: every subscribed channel holds the announcement once (or, once
withdrawn, only where it had been shown).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SETTLE
from bot.core.settings import Settings
from bot.releases.models import Delivery, Release
from bot.releases.outbox import DeliveryWorker
from bot.releases.pacing import Pace
from bot.releases.recording import withdraw_release
from bot.runtime.app import make_herald
from bot.slack.messenger import Messenger
from tests.support.fake_slack import FakeSlack
from tests.support.harness import BOT_TOKEN
from tests.test_release_delivery import FAST, announcements, drain, release, subscribe_channels


def worker_for(herald: Herald, slack: FakeSlack, *, timeout: float = 5.0, **options) -> DeliveryWorker:
    """The outbox worker with a client that gives up after `timeout` seconds and never retries, as in production."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=timeout, retry_handlers=[])
    return DeliveryWorker(herald, Messenger(client), pace=FAST, lookups=FAST, **options)


def as_instance(herald: Herald, instance_id: str, **changes) -> Herald:
    """The same store seen by another process: another instance id (and, if given, its own clock)."""
    settings = Settings(**{**herald.settings.__dict__, "instance_id": instance_id})
    return make_herald(settings, herald.engine, **changes)


def states(herald: Herald) -> Counter[str]:
    with Session(herald.engine) as session:
        return Counter(str(d.state) for d in session.exec(select(Delivery)).all())


async def until(condition) -> None:
    """Wait for the fake Slack to carry out what it was still doing, as long as that takes."""
    while not condition():
        await asyncio.sleep(0.02)


def copies(slack: FakeSlack, channels: list[str]) -> dict[str, int]:
    return {channel: len(announcements(slack, channel)) for channel in channels}


async def test_a_look_that_fails_is_tried_again_later_never_followed_by_a_blind_post(herald, slack, clock):
    channels = [f"C0LOOK{n:02}" for n in range(6)]
    subscribe_channels(herald, slack, channels)
    slack.lose_answers("chat.postMessage", times=6)  # every post lands; Herald never hears back
    release(herald)
    await drain(worker_for(herald, slack))
    assert states(herald) == {"uncertain": 6}

    clock.now += SETTLE
    slack.rate_limit("conversations.history", times=6, retry_after=30)  # Tier 3 is busy
    await drain(worker_for(herald, slack))
    assert states(herald) == {"uncertain": 6}
    assert copies(slack, channels) == {c: 1 for c in channels}

    clock.now += timedelta(seconds=30)
    slack.fail("conversations.history", "internal_error", times=6)  # and then it errs
    await drain(worker_for(herald, slack))
    assert copies(slack, channels) == {c: 1 for c in channels}

    clock.now += timedelta(minutes=10)
    await drain(worker_for(herald, slack))
    assert states(herald) == {"sent": 6}
    assert copies(slack, channels) == {c: 1 for c in channels}


async def test_a_post_that_outlives_the_client_timeout_is_looked_for_only_after_it_settles(herald, slack, clock):
    channels = ["C0SLOW1", "C0SLOW2", "C0SLOW3"]
    subscribe_channels(herald, slack, channels)
    slack.slow("chat.postMessage", 0.6)  # Slack carries each post out after the client gave up on it
    release(herald)
    await drain(worker_for(herald, slack, timeout=0.2))
    assert states(herald) == {"uncertain": 3}
    await drain(worker_for(herald, slack))  # too early to look: nothing is claimed
    assert not slack.calls_to("conversations.history")

    await until(lambda: all(copies(slack, channels).values()))  # the posts land
    slack.slow("chat.postMessage", 0)
    clock.now += SETTLE
    await drain(worker_for(herald, slack))
    assert copies(slack, channels) == {c: 1 for c in channels}
    assert states(herald) == {"sent": 3}


async def test_a_5xx_or_a_dropped_call_is_looked_for_and_posted_only_if_it_is_not_there(herald, slack, clock):
    channels = ["C0FIVE", "C0DROP"]
    subscribe_channels(herald, slack, channels)
    slack.server_error("chat.postMessage")  # carried out, then answered 500
    slack.drop_calls("chat.postMessage")  # never reached Slack
    release(herald)
    await drain(worker_for(herald, slack, concurrency=1))
    assert states(herald) == {"uncertain": 2}
    clock.now += SETTLE
    await drain(worker_for(herald, slack))
    assert copies(slack, channels) == {"C0FIVE": 1, "C0DROP": 1}
    assert len(slack.calls_to("conversations.history")) == 2


async def test_withdrawing_cancels_what_was_not_shown_and_marks_what_was(herald, slack, clock):
    channels = ["C0WAIT", "C0MAYBE", "C0DROPPED", "C0SHOWN"]  # posted one at a time, in this order
    subscribe_channels(herald, slack, channels)
    slack.rate_limit("chat.postMessage", times=1, retry_after=60)  # C0WAIT backs off, nothing posted
    slack.server_error("chat.postMessage")  # C0MAYBE: posted, answered 500
    slack.drop_calls("chat.postMessage")  # C0DROPPED: never reached Slack
    release(herald)
    with Session(herald.engine) as session:
        order = [d.channel_id for d in session.exec(select(Delivery).order_by(Delivery.id)).all()]
    assert order == channels
    await drain(worker_for(herald, slack, concurrency=1))
    assert states(herald) == {"pending": 1, "uncertain": 2, "sent": 1}
    with session_scope(herald.engine) as session:
        withdraw_release(session, session.exec(select(Release)).one())
    clock.now += timedelta(minutes=2)
    await drain(worker_for(herald, slack))

    assert copies(slack, channels) == {"C0WAIT": 0, "C0MAYBE": 1, "C0DROPPED": 0, "C0SHOWN": 1}
    for channel in ("C0MAYBE", "C0SHOWN"):
        [message] = announcements(slack, channel)
        assert message["blocks"][0]["text"]["text"] == "Withdrawn: billing 1.4.0"
    assert states(herald) == {"cancelled": 2, "sent": 2}
    assert not [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] in ("C0WAIT", "C0DROPPED")
                and "Withdrawn" in str(c.args.get("blocks"))]


async def test_two_workers_on_slow_slack_never_post_one_delivery_twice(herald, slack):
    """Leases short enough to run out during one post: only the heartbeat keeps the other worker off."""
    channels = [f"C0TWO{n:02}" for n in range(20)]
    subscribe_channels(herald, slack, channels)
    slack.slow("chat.postMessage", 0.4)
    first, second = (as_instance(herald, name) for name in ("replica-a", "replica-b"))  # the real clock
    release(first)
    workers = [worker_for(h, slack, lease=timedelta(seconds=0.3), concurrency=5) for h in (first, second)]

    async def work(worker: DeliveryWorker) -> None:
        while states(herald)["sent"] < len(channels):
            await worker.run_once()
            await asyncio.sleep(0.05)

    await asyncio.gather(*(work(w) for w in workers))
    assert copies(slack, channels) == {c: 1 for c in channels}
    assert states(herald) == {"sent": 20}


async def test_the_heartbeat_keeps_a_slow_round_s_lease_from_running_out(herald, slack, clock):
    subscribe_channels(herald, slack, ["C0BEAT"])
    slack.slow("chat.postMessage", 1.5)
    release(herald)
    holder = worker_for(herald, slack, lease=timedelta(seconds=0.3))  # renewed every 0.1 s
    sending = asyncio.create_task(holder.run_once())
    while not slack.received:
        await asyncio.sleep(0.01)
    clock.now += timedelta(minutes=5)  # long past the lease taken at claim time
    await asyncio.sleep(0.5)  # the heartbeat renews it from the new now
    other = worker_for(as_instance(herald, "other", clock=clock), slack)
    assert await other.run_once() == 0
    await sending
    assert copies(slack, ["C0BEAT"]) == {"C0BEAT": 1} and states(herald) == {"sent": 1}


async def test_a_worker_whose_lease_was_taken_over_neither_posts_nor_records(herald, slack, clock):
    subscribe_channels(herald, slack, ["C0FENCE"])
    release(herald)
    stalled = worker_for(herald, slack)
    token, claimed = stalled._claim(clock.now)
    assert len(claimed) == 1

    clock.now += timedelta(minutes=1)  # its lease ran out (its heartbeat stopped): another takes over
    other = worker_for(as_instance(herald, "other", clock=clock), slack)
    await drain(other)
    assert copies(slack, ["C0FENCE"]) == {"C0FENCE": 1}

    [row] = stalled.leases.prepare(herald.renderer, claimed)
    await stalled._deliver(row, token)  # it wakes up and carries on
    assert copies(slack, ["C0FENCE"]) == {"C0FENCE": 1}
    assert states(herald) == {"sent": 1}


async def test_a_restarted_instance_takes_back_its_own_leases_at_once(herald, slack, clock):
    channels = ["C0BACK1", "C0BACK2"]
    subscribe_channels(herald, slack, channels)
    release(herald)
    crashed = worker_for(herald, slack)
    crashed._claim(clock.now)  # then the process died, before posting anything
    await drain(worker_for(as_instance(herald, "someone-else", clock=clock), slack))
    assert copies(slack, channels) == {c: 0 for c in channels}  # the lease still holds for others

    restarted = worker_for(herald, slack)  # same instance id
    restarted.release_own_leases()
    await drain(restarted)
    assert copies(slack, channels) == {c: 1 for c in channels}


async def test_rows_handed_back_mid_post_are_looked_for_only_once_their_posts_have_settled(herald, slack, clock):
    channels = ["C0HAND1", "C0HAND2", "C0HAND3"]
    subscribe_channels(herald, slack, channels)
    slack.slow("chat.postMessage", 0.4)  # still on their way when the process stops
    release(herald)
    stopping = worker_for(herald, slack)
    sending = asyncio.create_task(stopping.run_once())
    while len(slack.received) < 3:
        await asyncio.sleep(0.01)
    stopping.stop()
    sending.cancel()  # the drain ran out: what is in flight is abandoned
    await asyncio.gather(sending, return_exceptions=True)
    stopping.release_own_leases()

    await drain(worker_for(as_instance(herald, "next", clock=clock), slack))  # at once: too early to look
    assert not slack.calls_to("conversations.history")
    await until(lambda: all(copies(slack, channels).values()))  # Slack carries the posts out
    clock.now += SETTLE
    await drain(worker_for(herald, slack))
    assert copies(slack, channels) == {c: 1 for c in channels}
    assert states(herald) == {"sent": 3}


async def test_a_release_withdrawn_while_its_post_is_refused_ends_cancelled_and_leaves_the_worker_idle(
        herald, slack, clock):
    subscribe_channels(herald, slack, ["C0REFUSED"])
    slack.slow("chat.postMessage", 0.3)
    slack.fail("chat.postMessage", "invalid_blocks")  # refused once it arrives: nothing posted
    release(herald)
    sending = asyncio.create_task(worker_for(herald, slack).run_once())
    while not slack.received:
        await asyncio.sleep(0.01)
    with session_scope(herald.engine) as session:  # withdrawn while the post is on its way
        withdraw_release(session, session.exec(select(Release)).one())
    await sending
    clock.now += timedelta(minutes=10)
    worker = worker_for(herald, slack)
    assert [await worker.run_once() for _ in range(3)] == [0, 0, 0]
    assert states(herald) == {"cancelled": 1}
    assert copies(slack, ["C0REFUSED"]) == {"C0REFUSED": 0}


async def test_one_delivery_that_cannot_be_rendered_does_not_stop_the_others(herald, slack, clock, tmp_path):
    subscribe_channels(herald, slack, ["C0GOOD", "C0BAD"])
    templates = tmp_path / "templates" / "releases"
    templates.mkdir(parents=True)
    (templates / "announcement.json.j2").write_text(
        '{% if channel_id == "C0BAD" %}{{ no_such_value }}{% endif %}'
        '{"text": "{{ release.version }}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", '
        '"text": "{{ release.version }}"}}]}', encoding="utf-8")
    broken = make_herald(Settings(**{**herald.settings.__dict__, "templates_override": tmp_path / "templates"}),
                         herald.engine, clock=clock)
    release(broken)
    for _ in range(6):
        await drain(worker_for(broken, slack))
        clock.now += timedelta(minutes=10)
    assert copies(slack, ["C0GOOD", "C0BAD"]) == {"C0GOOD": 1, "C0BAD": 0}
    with Session(herald.engine) as session:
        bad = session.exec(select(Delivery).where(Delivery.channel_id == "C0BAD")).one()
    assert (bad.state, bad.attempts) == ("failed", 5) and "no_such_value" in bad.last_error
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "U0ANN"]  # who recorded it
    assert "gave up announcing" in str(dm.args["blocks"])


async def test_a_backlog_in_one_channel_does_not_hold_up_the_others(herald, slack, clock):
    subscribe_channels(herald, slack, ["C0BUSY"])
    for version in range(6):
        release(herald, version=f"1.{version}.0")
    subscribe_channels(herald, slack, ["C0QUIET"], spec="search")
    release(herald, component="search", version="2.0.0")
    worker = DeliveryWorker(herald, worker_for(herald, slack).messenger, pace=Pace(per_channel=1.0, per_second=50))
    await worker.run_once()  # one round: the busy channel's first two, and the quiet one's
    assert copies(slack, ["C0BUSY", "C0QUIET"]) == {"C0BUSY": 2, "C0QUIET": 1}
