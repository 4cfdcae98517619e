"""The outbox's pacer against a fake Slack that enforces Slack's posting limits: what Slack received, not how long it took."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.messaging import SlackRefused
from bot.releases.pacing import START, Pace, Pacer
from bot.slack.messenger import Messenger
from tests.support.fake_slack import FakeSlack
from tests.support.harness import BOT_TOKEN


class TooMany(Exception):
    """Raised by the fake's chat.postMessage handler; FakeSlack._api lets it through to LimitedSlack._api."""


class LimitedSlack(FakeSlack):
    """chat.postMessage as Slack limits it: at most `ceiling` accepted posts in any sliding second, one every
    `gap` seconds in a channel, and a share `noise` of posts answered 429 at random whatever the rate.

    Every 429 has Retry-After: 1, as Slack's whole seconds; only accepted posts count toward the limits.
    """

    def __init__(self, *, ceiling: float = math.inf, gap: float = 0.0, noise: float = 0.0) -> None:
        super().__init__(bot_token=BOT_TOKEN)
        self.ceiling, self.gap, self.noise = ceiling, gap, noise
        self.rng = random.Random(7)
        self.accepted: list[float] = []
        self.last_in_channel: dict[str, float] = {}
        self.refused: Counter[str] = Counter()  # "random", "channel" or "workspace" -> 429s sent

    async def _api(self, request: web.Request) -> web.Response:
        try:
            return await super()._api(request)
        except TooMany as refused:
            self.refused[str(refused)] += 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        now, channel = time.monotonic(), str(args.get("channel"))
        if self.rng.random() < self.noise:
            raise TooMany("random")
        if now - self.last_in_channel.get(channel, -math.inf) < self.gap:
            raise TooMany("channel")
        if sum(at > now - 1.0 for at in self.accepted) >= self.ceiling:
            raise TooMany("workspace")
        answer = super()._m_chat_postMessage(args)
        self.accepted.append(now)
        self.last_in_channel[channel] = now
        return answer


async def post_all(pacer: Pacer, slack: LimitedSlack, channels: list[str], *, concurrency: int = 10) -> None:
    """Post once in each channel (a channel listed twice gets two posts), `concurrency` at a time, as the
    outbox worker does; a post refused with 429 asks the pacer for a slot again."""
    messenger = Messenger(AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[]))
    for channel in set(channels):
        slack.add_channel(channel, channel.lower())
    sending = asyncio.Semaphore(concurrency)

    async def one(channel: str) -> None:
        while True:
            async with sending:
                try:
                    async with pacer.slot(channel):
                        await messenger.post(channel, {"text": "Invoices in EUR"})
                    return
                except SlackRefused as refused:
                    assert refused.rate_limited, refused.reason

    await asyncio.gather(*(one(channel) for channel in channels))


def spread(count: int) -> list[str]:
    return [f"C0REL{n:04}" for n in range(count)]


async def test_posts_to_one_channel_at_once_queue_up_a_gap_apart():
    async with LimitedSlack(gap=0.05) as slack:
        # a known workspace rate well above 20 a second, so that only the channel's gap paces these posts
        await post_all(Pacer(Pace(per_channel=0.05, per_second=100)), slack, ["C0PAYMENTS"] * 8)

    assert slack.refused["channel"] == 0
    assert len(slack.messages["C0PAYMENTS"]) == 8


async def test_learned_rate_settles_at_the_workspace_ceiling_after_a_few_refusals():
    async with LimitedSlack(ceiling=20, noise=0.05) as slack:
        pacer = Pacer(Pace(per_channel=0.0))
        await post_all(pacer, slack, spread(50))

    assert sum(len(posted) for posted in slack.messages.values()) == 50
    assert slack.refused["workspace"] <= 10  # slow start runs past the ceiling once, by the posts then in flight
    assert 15 <= pacer.rate <= 20


async def test_random_refusals_alone_do_not_lower_the_rate():
    async with LimitedSlack(noise=0.05) as slack:
        pacer = Pacer(Pace(per_channel=0.0))
        await post_all(pacer, slack, spread(200))

    assert slack.refused["random"] > 0
    assert pacer.rate >= START + 100  # still in slow start: most accepted posts, others waiting, added one each


async def test_a_known_rate_is_never_exceeded():
    async with LimitedSlack(ceiling=30) as slack:
        await post_all(Pacer(Pace(per_channel=0.0, per_second=30)), slack, spread(45))

    assert slack.refused["workspace"] == 0


async def test_a_rate_below_one_a_second_keeps_one_call_per_interval():
    """Tier 3 methods allow about 50 a minute: one call every 1.2 s, not one in every 1-s window."""
    async with LimitedSlack() as slack:
        await post_all(Pacer(Pace(per_channel=0.0, per_second=50 / 60)), slack, spread(2))

    first, second = slack.accepted
    assert second - first >= 60 / 50


async def test_a_rate_per_minute_allows_a_burst_then_holds_to_the_minute():
    """Tier 3, as Herald paces its looks into history: 50 a minute, bursts welcome; here 5 in any 3 seconds."""
    async with LimitedSlack() as slack:
        pacer = Pacer(Pace(per_channel=0.0, per_second=5 / 3, window=3))
        burst = asyncio.create_task(post_all(pacer, slack, spread(6)))
        while len(slack.accepted) < 5:
            await asyncio.sleep(0.01)
        assert slack.accepted[4] - slack.accepted[0] < 2  # the first five at once, not one every 0.6 s
        await burst

    assert slack.accepted[5] - slack.accepted[0] >= 3  # the sixth waits for the first to leave the window
