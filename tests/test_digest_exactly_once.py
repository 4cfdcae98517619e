"""Digests exactly once under faults: a post whose answer never comes is looked for, never posted twice or lost."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SETTLE
from bot.digests.models import Digest, DigestRun
from bot.digests.runner import LEASE, DigestRunner
from bot.digests.schedules import Schedule
from bot.digests.service import set_digest
from bot.slack.messenger import Messenger
from tests.support.fake_slack import FakeSlack
from tests.support.harness import BOT_TOKEN

DUE = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def hourly_digest(herald: Herald, channel_id: str = "C0LAUNCHES") -> int:
    with session_scope(herald.engine) as session:
        return set_digest(session, channel_id=channel_id, personal=channel_id.startswith("U"),
                          schedule=Schedule("0 * * * *", "UTC"), filters={}, always=True, actor_id="U0ANN").id


def runner_for(herald: Herald, slack: FakeSlack, *, timeout: float = 5.0) -> DigestRunner:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=timeout, retry_handlers=[])
    return DigestRunner(herald, messenger=Messenger(client))


def digests(slack: FakeSlack, channel: str) -> list[dict]:
    return [m for m in slack.messages.get(channel, []) if (m.get("metadata") or {}).get("event_type") == "herald_digest"]


def run_states(herald: Herald) -> list[str]:
    with Session(herald.engine) as session:
        return [str(run.state) for run in session.exec(select(DigestRun)).all()]


async def test_a_post_answered_after_the_client_gave_up_is_found_not_posted_again(herald, slack, clock):
    digest_id = hourly_digest(herald)
    slack.slow("chat.postMessage", 0.5)
    clock.now = DUE
    assert await runner_for(herald, slack, timeout=0.2).run(digest_id) == "uncertain"
    await runner_for(herald, slack).catch_up()  # too early to look: the post may still be on its way
    assert not slack.calls_to("conversations.history")

    while not digests(slack, "C0LAUNCHES"):  # Slack carries the post out after all
        await asyncio.sleep(0.02)
    slack.slow("chat.postMessage", 0)
    clock.now += SETTLE + timedelta(seconds=1)
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "C0LAUNCHES")) == 1
    assert run_states(herald) == ["posted"]


async def test_a_personal_digest_answered_500_is_looked_for_in_the_dm(herald, slack, clock):
    digest_id = hourly_digest(herald, "U0ANN")
    slack.server_error("chat.postMessage")  # posted, then answered 500
    clock.now = DUE
    assert await runner_for(herald, slack).run(digest_id) == "uncertain"
    clock.now += SETTLE + timedelta(seconds=1)
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "D0ANN")) == 1
    assert run_states(herald) == ["posted"]


async def test_a_replica_killed_mid_post_loses_nothing(herald, slack, clock):
    digest_id = hourly_digest(herald)
    slack.slow("chat.postMessage", 0.3, even_if_abandoned=False)  # the post dies with its process
    clock.now = DUE
    posting = asyncio.create_task(runner_for(herald, slack).run(digest_id))
    while not slack.received:
        await asyncio.sleep(0.01)
    posting.cancel()  # as good as SIGKILL for this post: nothing more runs in it
    await asyncio.sleep(0.4)
    assert digests(slack, "C0LAUNCHES") == [] and run_states(herald) == ["posting"]

    slack.slow("chat.postMessage", 0)
    clock.now += LEASE / 2
    await runner_for(herald, slack).catch_up()  # its lease still holds
    assert digests(slack, "C0LAUNCHES") == []
    clock.now += LEASE
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "C0LAUNCHES")) == 1
    assert slack.calls_to("conversations.history")  # looked before posting
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "C0LAUNCHES")) == 1


async def test_a_failed_look_never_leads_to_a_blind_post(herald, slack, clock):
    digest_id = hourly_digest(herald)
    slack.lose_answers("chat.postMessage")
    clock.now = DUE
    assert await runner_for(herald, slack).run(digest_id) == "uncertain"
    clock.now += SETTLE + timedelta(seconds=1)
    slack.rate_limit("conversations.history", retry_after=5)
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "C0LAUNCHES")) == 1 and run_states(herald) == ["posting"]
    clock.now += SETTLE + timedelta(seconds=1)
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "C0LAUNCHES")) == 1 and run_states(herald) == ["posted"]


async def test_a_refused_post_is_given_back_and_posted_once_on_the_next_wake_up(herald, slack, clock):
    digest_id = hourly_digest(herald)
    slack.rate_limit("chat.postMessage", retry_after=1)
    clock.now = DUE
    assert await runner_for(herald, slack).run(digest_id) == "failed"
    assert run_states(herald) == []
    clock.now += timedelta(minutes=1)
    await runner_for(herald, slack).catch_up()
    await runner_for(herald, slack).catch_up()
    assert len(digests(slack, "C0LAUNCHES")) == 1



async def test_a_digest_whose_channel_is_gone_is_turned_off_and_its_creator_told(herald, slack, clock):
    slack.add_channel("C0SECRET", "secret", is_private=True, is_member=False)
    digest_id = hourly_digest(herald, "C0SECRET")
    clock.now = DUE
    assert await runner_for(herald, slack).run(digest_id) == "stopped"
    with Session(herald.engine) as session:
        assert session.exec(select(Digest)).all() == []
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "U0ANN"]
    assert "I turned off the digest you set up for <#C0SECRET>" in str(dm.args["blocks"])


async def test_a_digest_that_cannot_be_looked_for_is_given_up_after_the_grace_period_and_its_creator_told(
        herald, slack, clock):
    digest_id = hourly_digest(herald)
    slack.drop_calls("chat.postMessage")
    clock.now = DUE
    assert await runner_for(herald, slack).run(digest_id) == "uncertain"
    slack.fail("conversations.history", "missing_scope", times=1000)
    for _ in range(10):  # an hour of wake-ups
        clock.now += timedelta(minutes=6)
        await runner_for(herald, slack).run(digest_id, period=DUE)
    assert run_states(herald) == ["posting"]
    clock.now = DUE + timedelta(hours=7)
    assert await runner_for(herald, slack).run(digest_id, period=DUE) == "gave up"
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "U0ANN"]
    assert "missing_scope" in str(dm.args["blocks"]) and "did not post it again" in str(dm.args["blocks"])
    assert digests(slack, "C0LAUNCHES") == []
