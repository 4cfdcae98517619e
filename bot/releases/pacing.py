"""Keeping under Slack's posting limits: one post a second in a channel, and a workspace limit that Slack
does not publish, learned from what Slack accepts and refuses.

Slack counts the posts it accepted in a sliding second. The pacer keeps the same window of its own
posts, stamped when their answer arrives (never earlier than Slack counted them, so its count is
never below Slack's), and lets a post start while that count plus the posts in flight is under the
rate. A known rate (`Pace.per_second`) is kept as given; without one the rate is learned:

* slow start: from START, one more for every post Slack accepts while others wait for a slot, so
  the rate doubles each time Slack accepts as many posts as the rate, until the first limit;
* a limit is told apart from the few 429s Slack sends at random by its shape: at the limit Slack
  refuses every post until a second-old one leaves its window, so refusals come STREAK in a row
  with nothing accepted between; a lone 429 changes nothing;
* `proven`, the most posts Slack accepted within one second, is a direct reading of the limit
  (Slack never accepts more than it): after a limit the rate goes back to it, and one more a second
  is tried PROBE_AFTER seconds later (then twice as long after each refused try, and CLIMB seconds
  after each accepted one);
* refusals of posts that never asked past `proven` mean the limit dropped (another app or replica
  shares it): the rate halves, but not below what Slack accepted in the last second;
* after a limit nothing is posted for its Retry-After, as Slack asks.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from bot.core.messaging import SlackRefused

WINDOW = 1.0  # Slack's, in seconds
START = 4.0  # posts a second any workspace takes; also the most posts in flight while slow start grows
MIN_RATE = 1.0
HALVE = 0.5
STREAK = 3  # refusals in a row that mean "limit": three random ones in a row are about 1 in 8,000
PROBE_AFTER = 30.0  # seconds before asking Slack for one more again: a refused try costs a Retry-After pause
PROBE_CAP = 300.0
CLIMB = 1.0  # seconds between tries while Slack accepts each one
TICK = 0.001  # shortest sleep, so that rounding cannot make a waiter spin
IDLE_CHANNELS = 1024  # forget channels whose gap has passed once more than this many are remembered


@dataclass(frozen=True)
class Pace:
    """One message every `per_channel` seconds in a channel; `per_second` across the workspace, or None: learn it.

    A known rate counts over `window` seconds, so a tier Slack states per minute (conversations.history,
    Tier 3: about 50 a minute, bursts welcome) is `Pace(per_second=50 / 60, window=60)`: up to 50 at once,
    then as the minute frees them. A rate below one a second in a one-second window is one call per interval.
    """

    per_channel: float = 1.0
    per_second: float | None = None
    window: float = WINDOW

    def __post_init__(self) -> None:
        if self.per_second is not None and self.per_second <= 0:
            raise ValueError(f"per_second must be positive or None (learn it), not {self.per_second}")


@dataclass
class _Ticket:
    started: float
    probe: bool  # asked for more than Slack has ever accepted in a second
    epoch: int


@dataclass
class _Channel:
    lock: asyncio.Lock
    last: float = float("-inf")  # when its last post's answer came
    users: int = 0


class Pacer:
    """`async with pacer.slot(channel_id): await post(...)`; a 429 raised in the block gives the slot back."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self.learning = pace.per_second is None
        self.rate = START if pace.per_second is None else pace.per_second
        self.proven = START if self.learning else math.inf  # START is taken on trust until Slack says otherwise
        self._slow_start = self.learning
        self._probing = False
        self._probe_every = 0.0
        self._next_probe = 0.0
        self._accepted: deque[tuple[float, float, bool]] = deque()  # (started, answered, posted) by answer
        self._in_flight = 0
        self._waiting = 0
        self._streak: list[bool] = []  # refusals since Slack last accepted a post: was each a probe?
        self._epoch = 0  # a limit starts a new one; refusals of posts sent before it are already answered for
        self._paused_until = 0.0
        self._channels: dict[str, _Channel] = {}
        self._forget_at = IDLE_CHANNELS
        self._lock = asyncio.Lock()  # posts start in the order they asked
        self._changed = asyncio.Event()  # an answer came: a slot may be free, the rate may have grown

    @asynccontextmanager
    async def slot(self, channel_id: str) -> AsyncIterator[None]:
        async with self._channel_turn(channel_id):
            ticket = await self._take()
            try:
                yield
            except BaseException as error:
                self._in_flight -= 1
                if isinstance(error, SlackRefused) and error.rate_limited:
                    self._refused(ticket, error.retry_after)
                else:  # refused for another reason, or no answer: it may have landed, so it counts
                    self._answered(ticket, posted=False)
                raise
            self._in_flight -= 1
            self._answered(ticket, posted=True)

    @asynccontextmanager
    async def _channel_turn(self, channel_id: str) -> AsyncIterator[None]:
        """Posts to one channel take turns, each `per_channel` after the previous one's answer: the gap is
        then at least that at Slack too, whatever the network's delays."""
        if self.pace.per_channel <= 0:
            yield
            return
        if len(self._channels) > self._forget_at:
            idle = time.monotonic() - self.pace.per_channel
            self._channels = {k: c for k, c in self._channels.items() if c.users or c.last > idle}
            self._forget_at = max(IDLE_CHANNELS, 2 * len(self._channels))
        channel = self._channels.setdefault(channel_id, _Channel(asyncio.Lock()))
        channel.users += 1
        try:
            async with channel.lock:
                await asyncio.sleep(max(0.0, channel.last + self.pace.per_channel - time.monotonic()))
                try:
                    yield
                finally:
                    channel.last = time.monotonic()
        finally:
            channel.users -= 1

    def _window(self) -> float:
        return max(self.pace.window, 1.0 / self.rate)

    async def _take(self) -> _Ticket:
        self._waiting += 1
        try:
            async with self._lock:
                while True:
                    now = time.monotonic()
                    window = self._window()
                    while self._accepted and self._accepted[0][1] <= now - window:
                        self._accepted.popleft()
                    used = len(self._accepted) + self._in_flight
                    if now >= self._paused_until and used < max(1, math.floor(self.rate * window + 1e-9)):
                        self._in_flight += 1
                        return _Ticket(now, used >= self.proven, self._epoch)
                    if now < self._paused_until:
                        timeout: float | None = self._paused_until - now
                    else:  # the oldest post leaving the window, or an answer (which may also raise the rate)
                        timeout = self._accepted[0][1] + window - now if self._accepted else None
                    self._changed.clear()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), None if timeout is None else max(timeout, TICK))
        finally:
            self._waiting -= 1

    def _answered(self, ticket: _Ticket, *, posted: bool) -> None:
        now = time.monotonic()
        self._accepted.append((ticket.started, now, posted))
        self._changed.set()
        if not posted:
            return
        self._streak.clear()  # Slack took a post: the refusals before it were noise
        if not self.learning:
            return
        self.proven = max(self.proven, self._accepted_in_last_second(now))
        if self._probing and self.proven >= self.rate:
            self._probing, self._probe_every, self._next_probe = False, CLIMB, now + CLIMB
        if not self._waiting:
            return  # nobody is held back: no reason to ask Slack for more
        if self._slow_start:
            self.rate += 1
        elif not self._probing and now >= self._next_probe:
            self.rate, self._probing = self.proven + 1, True

    def _refused(self, ticket: _Ticket, retry_after: float | None) -> None:
        self._changed.set()
        if ticket.epoch != self._epoch:
            return
        self._streak.append(ticket.probe)
        if len(self._streak) < STREAK:
            return
        now = time.monotonic()
        probed = any(self._streak)
        self._streak.clear()
        self._epoch += 1
        self._paused_until = max(self._paused_until, now + (1.0 if retry_after is None else retry_after))
        if not self.learning:
            return
        self._slow_start = self._probing = False
        if probed:  # the limit lies between `proven` and what was asked
            self.rate = self.proven
            self._probe_every = min(PROBE_CAP, max(PROBE_AFTER, 2 * self._probe_every))
        else:  # refused below `proven`: the limit is lower than it was
            self.rate = self.proven = max(MIN_RATE, self._accepted_in_last_second(now), self.rate * HALVE)
            self._probe_every = PROBE_AFTER
        self._next_probe = now + self._probe_every

    def _accepted_in_last_second(self, now: float) -> int:
        """Posts Slack accepted that started in the last second: it counted every one of them in its window at once."""
        return sum(1 for started, _, posted in self._accepted if posted and started > now - WINDOW)
