"""The Web API behind `bot.core.messaging.Messenger`: posting that joins a public channel when it must,
updates, finding a posted message by its metadata, and sharing files; Slack's failures become Herald's two errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.messaging import Message, Posted, SlackRefused, SlackUncertain
from bot.core.slack_ids import is_user_id

T = TypeVar("T")
NO_ANSWER = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)
UPLOAD_FAILED = "upload_failed"  # Slack's file host did not take the bytes: nothing was shared
HISTORY_PAGE = 200


class Messenger:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, channel: str, message: Message, *, metadata: dict[str, Any] | None = None,
                   thread_ts: str | None = None) -> str:
        extra: dict[str, Any] = {}
        if metadata is not None:
            extra["metadata"] = metadata
        if thread_ts is not None:
            extra["thread_ts"] = thread_ts
        response = await self._joining(channel, lambda: self.client.chat_postMessage(channel=channel, **extra,
                                                                                     **message))
        return response["ts"]

    async def update(self, channel: str, ts: str, message: Message) -> None:
        await _answered(lambda: self.client.chat_update(channel=channel, ts=ts, **message))

    async def find_posted(self, channel: str, *, event_type: str, key: str, value: Any, pages: int) -> Posted | None:
        """Looks through the channel's newest messages, `pages` pages of them: a lost answer is looked
        for within minutes, long before a thousand other messages bury it."""
        channel = await self._dm_if_person(channel)  # a post to a person lands in their DM, with its own ID
        history = await self._joining(channel, lambda: self.client.conversations_history(
            channel=channel, include_all_metadata=True, limit=HISTORY_PAGE))
        seen = 0
        with _translated():  # the pages after the first are fetched as the loop goes
            async for page in history:
                for found in page.get("messages", []):
                    metadata = found.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == event_type and payload.get(key) == value:
                        return Posted(found["ts"], payload)
                seen += 1
                if seen >= pages:
                    break
        return None

    async def upload_file(self, channel: str, *, filename: str, content: bytes, title: str) -> None:
        """files_upload_v2: ask for an upload URL, send the bytes there, then share the file in the channel."""
        channel = await self._dm_if_person(channel)  # Slack shares files only in a conversation, by its ID
        await self._joining(channel, lambda: _uploaded(self.client.files_upload_v2(
            channel=channel, filename=filename, content=content, title=title)))

    async def _dm_if_person(self, channel: str) -> str:
        if not is_user_id(channel):
            return channel
        opened = await _answered(lambda: self.client.conversations_open(users=channel))
        return opened["channel"]["id"]

    async def _joining(self, channel: str, call: Callable[[], Awaitable[T]]) -> T:
        """Call; if Herald is not in the public channel (posting through chat:write.public needs no
        membership, reading history does), join it once and call again."""
        try:
            return await _answered(call)
        except SlackRefused as refused:
            if refused.reason != "not_in_channel":
                raise
        await _answered(lambda: self.client.conversations_join(channel=channel))
        return await _answered(call)


async def _uploaded(upload: Awaitable[T]) -> T:
    """The bytes go to Slack's file host outside the Web API; its refusal arrives as a request error."""
    try:
        return await upload
    except SlackRequestError as error:
        raise SlackRefused(UPLOAD_FAILED) from error


async def _answered(call: Callable[[], Awaitable[T]]) -> T:
    with _translated():
        return await call()


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except SlackApiError as error:
        response = error.response
        retry_after = response.headers.get("Retry-After") if response.headers else None
        raise SlackRefused(response.get("error", "unknown_error"), status=response.status_code or 200,
                           retry_after=float(retry_after) if retry_after else None) from error
    except NO_ANSWER as error:
        raise SlackUncertain(repr(error)) from error
