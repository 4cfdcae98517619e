"""Slack's chat.postMessage limits on the tests' fake Slack (tests.support.fake_slack.FakeSlack), for bench/fanout.py.

* Every Web API call first draws from random.Random(seed): with probability `rate_429` it is answered
  HTTP 429 {"ok": false, "error": "ratelimited"}, Retry-After: 1, and has no effect ("random" 429s).
* chat.postMessage, at the instant the message would be stored:
    - per channel: at most one message every `per_channel` seconds in a channel; a post sooner is
      answered 429, Retry-After: ceil(the rest of that wait);
    - workspace: at most `ceiling` messages in any sliding 1-second window across all channels; a post
      when `ceiling` were accepted in the last 1.0 s is answered 429, Retry-After: ceil(seconds until
      the oldest of them leaves the window).
  Only accepted (stored) messages count toward both limits; refused calls do not. These are the "limit"
  429s. Other methods have no limit besides the random 429s.
Every 429 is what Slack sends: status 429, a Retry-After header in whole seconds, nothing stored. The fake
itself (FakeSlack) is unchanged; what was posted, refused and when is kept for the report.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.fake_slack import FakeSlack, SlackCall

RANDOM, PER_CHANNEL, WORKSPACE = "random", "per-channel limit", "workspace limit"


class _OverLimit(Exception):
    """Raised by the chat.postMessage handler; FakeSlack._api lets it through to RateLimitedSlack._api."""

    def __init__(self, kind: str, seconds: float, call_args: dict[str, Any]) -> None:
        super().__init__(kind)
        self.kind, self.retry_after, self.call_args = kind, max(1, math.ceil(seconds)), call_args


@dataclass
class PostEvent:
    """One chat.postMessage call as the fake answered it."""

    at: float  # time.monotonic() when answered
    channel: str
    delivery_id: int | None  # from Herald's metadata
    outcome: str  # "posted", RANDOM, PER_CHANNEL or WORKSPACE


class RateLimitedSlack(FakeSlack):
    """FakeSlack with Slack's chat.postMessage limits and a share of random 429s (see the module docstring)."""

    def __init__(self, *, ceiling: int, per_channel: float, rate_429: float, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ceiling, self.per_channel, self.rate_429 = ceiling, per_channel, rate_429
        self.rng = random.Random(seed)
        self.window: deque[float] = deque()  # accepted posts in the last second, oldest first
        self.last_in_channel: dict[str, float] = {}
        self.posted_at: list[float] = []  # every accepted post, in order
        self.channel_gaps: list[float] = []  # seconds between two accepted posts in one channel
        self.events: list[PostEvent] = []
        self.refused: Counter[tuple[str, str]] = Counter()  # (method, kind) -> 429s sent

    def _too_many(self, method: str, call: SlackCall, kind: str, retry_after: int) -> web.Response:
        self.rate_limited_calls.append(call)
        self.refused[(method, kind)] += 1
        if method == "chat.postMessage":
            self.events.append(PostEvent(time.monotonic(), str(call.args.get("channel")), _delivery_id(call.args),
                                         kind))  # fmt: skip
        return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                 headers={"Retry-After": str(retry_after)})  # fmt: skip

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.rng.random() < self.rate_429:
            args = await self._parse_args(request)  # aiohttp caches the body; nothing else reads it here
            auth = request.headers.get("Authorization", "")
            return self._too_many(method, SlackCall(method, args, auth.removeprefix("Bearer ").strip() or None),
                                  RANDOM, 1)  # fmt: skip
        try:
            return await super()._api(request)
        except _OverLimit as over:
            # FakeSlack._api recorded the call in `calls` just before running the handler, with no await
            # in between; move it to `rate_limited_calls` as its own rate_limit() does.
            index = next(i for i in range(len(self.calls) - 1, -1, -1) if self.calls[i].args is over.call_args)
            return self._too_many(method, self.calls.pop(index), over.kind, over.retry_after)

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        """Checked at the instant the message would be stored (synchronous: no other request interleaves)."""
        now = time.monotonic()
        channel = str(args.get("channel"))
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        last = self.last_in_channel.get(channel)
        if last is not None and now - last < self.per_channel:
            raise _OverLimit(PER_CHANNEL, last + self.per_channel - now, args)
        if len(self.window) >= self.ceiling:
            raise _OverLimit(WORKSPACE, self.window[0] + 1.0 - now, args)
        answer = super()._m_chat_postMessage(args)  # may refuse (SlackError): then nothing counts
        self.window.append(now)
        self.posted_at.append(now)
        if last is not None:
            self.channel_gaps.append(now - last)
        self.last_in_channel[channel] = now
        self.events.append(PostEvent(now, channel, _delivery_id(args), "posted"))
        return answer

    def max_in_window(self) -> int:
        """Most accepted messages in any 1-second window (must not exceed the ceiling)."""
        times = self.posted_at
        return max((i - bisect.bisect_right(times, t - 1.0) + 1 for i, t in enumerate(times)), default=0)


def _delivery_id(args: dict[str, Any]) -> int | None:
    metadata = args.get("metadata") if isinstance(args.get("metadata"), dict) else {}
    return (metadata.get("event_payload") or {}).get("delivery_id")
