"""What Herald's workers ask of Slack, without importing it: post, update, find a posted message, share a file.

The outbox and the digest runner live with their domains and must not depend on a Slack library;
the runtime hands them `bot.slack.messenger.Messenger`, which speaks the Web API and turns its
failures into the two errors below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple, Protocol

Message = dict[str, Any]
CHANNEL_GONE = {"channel_not_found", "is_archived", "method_not_supported_for_channel_type", "not_in_channel"}
CLIENT_TIMEOUT = 10  # seconds the workers' Slack client waits for an answer (bot/runtime/workers.py)
# How long after it was sent a post may still be on its way: the client gives up after CLIENT_TIMEOUT, and
# Slack gets a little more to carry out what it had. A post with no answer is looked for only after that.
SETTLE = timedelta(seconds=CLIENT_TIMEOUT + 5)


class Posted(NamedTuple):
    """A message Herald finds it posted: its ts, and the metadata payload it was posted with."""

    ts: str
    payload: dict[str, Any]


class SlackRefused(Exception):
    """Slack answered and did not do it: `reason` is its error code (`ratelimited`, `channel_not_found`, …)."""

    def __init__(self, reason: str, *, status: int = 200, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.reason == "ratelimited"

    @property
    def channel_gone(self) -> bool:
        """The channel is gone, archived, or private without Herald in it: trying again will not help."""
        return self.reason in CHANNEL_GONE

    @property
    def server_error(self) -> bool:
        """A 5xx: Slack may have done it anyway."""
        return self.status >= 500


class SlackUncertain(Exception):
    """No answer (timeout, dropped connection): what was asked may or may not have been done."""


class Messenger(Protocol):
    async def post(self, channel: str, message: Message, *, metadata: dict[str, Any] | None = None,
                   thread_ts: str | None = None) -> str:
        """Post in a channel (joining a public one Herald is not in) and return the message's ts."""

    async def update(self, channel: str, ts: str, message: Message) -> None:
        """Replace a message Herald posted."""

    async def find_posted(self, channel: str, *, event_type: str, key: str, value: Any, pages: int) -> Posted | None:
        """A recent message in `channel` (or the DM with a user ID) whose metadata has `event_type` and `key` = `value`."""

    async def upload_file(self, channel: str, *, filename: str, content: bytes, title: str) -> None:
        """Share a file (a chart) in a channel, joining a public one Herald is not in, or in a user ID's DM."""
