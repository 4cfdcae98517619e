"""Keeping under Slack's posting limits instead of learning them from 429s."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.core.messaging import SlackRefused

WINDOW = 1.0
BUSY_WAIT = 0.005  # when every slot is taken by posts still in flight


@dataclass(frozen=True)
class Pace:
    """About one message a second in a channel, and a workspace-wide rate on top."""

    per_channel: float = 1.0  # seconds between two posts in one channel
    per_second: float = 20.0  # posts in any one second across the workspace


class Pacer:
    """A sliding window like Slack's own.

    A post may start when the posts Slack accepted in the last second, plus those still in flight,
    are fewer than `per_second`, and its channel has had its gap. Accepted posts are stamped when
    their answer arrives, which is never earlier than Slack counted them, so the window never
    overlaps Slack's; a post refused with 429 gives its slot back.
    """

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self._accepted: deque[float] = deque()
        self._in_flight = 0
        self._last_in_channel: dict[str, float] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self, channel_id: str) -> AsyncIterator[None]:
        ready = self._last_in_channel.get(channel_id, float("-inf")) + self.pace.per_channel
        await asyncio.sleep(max(0.0, ready - time.monotonic()))
        await self._take(channel_id)
        counted = True
        try:
            yield
        except SlackRefused as refused:
            counted = not refused.rate_limited
            raise
        finally:
            self._in_flight -= 1
            if counted:
                self._accepted.append(time.monotonic())

    async def _take(self, channel_id: str) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._accepted and self._accepted[0] <= now - WINDOW:
                    self._accepted.popleft()
                if len(self._accepted) + self._in_flight < self.pace.per_second:
                    self._in_flight += 1
                    self._last_in_channel[channel_id] = now
                    return
                wait = self._accepted[0] + WINDOW - now if self._accepted else BUSY_WAIT
                await asyncio.sleep(max(wait, BUSY_WAIT))
