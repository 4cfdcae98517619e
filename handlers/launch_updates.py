"""Posting launch changes in the launch's channel, threaded under one message per launch."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import launches, releases
from bot.db import session_scope

if TYPE_CHECKING:
    from bot.app import Herald

log = logging.getLogger(__name__)

# One thread root per launch even when two changes arrive together in this process.
_thread_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)


def follow_up(herald: Herald, session: Session, change: launches.Change) -> Callable[[], Awaitable[None]] | None:
    """What a change sets off, from whichever surface made it: a launch that went live is announced
    as a release (in the change's own transaction); the change is posted in the launch's channel
    after the person who made it has their answer."""
    if change.went_live:
        releases.announce_launch(session, change.launch, now=herald.clock())
    if change.changes and change.launch.channel_id:
        return lambda: post_launch_update(herald, change)
    return None


async def post_launch_update(herald: Herald, change: launches.Change) -> None:
    """Post the change in the launch's thread; tell the person who made it if Slack refuses."""
    client = herald.slack
    launch = change.launch
    actor_id = change.changes[0].actor_id
    try:
        async with _thread_locks[launch.id]:
            thread_ts = launch.thread_ts or await _start_thread(client, herald, launch.key)
        update = herald.renderer.message(
            "launch_update.json.j2", launch=launch, changes=change.changes, actor_id=actor_id
        )
        await _post(client, channel=launch.channel_id, thread_ts=thread_ts, **update)
    except SlackApiError as error:
        reason = error.response.get("error", "unknown_error")
        log.warning("could not post update of launch %s in %s: %s", launch.key, launch.channel_id, reason)
        notice = herald.renderer.message("update_not_posted.json.j2", launch=launch, reason=reason)
        await client.chat_postMessage(channel=actor_id, **notice)


async def _start_thread(client: AsyncWebClient, herald: Herald, key: str) -> str:
    """Post the launch's card as the thread root and remember it, so later updates reply under it."""
    with session_scope(herald.engine) as session:
        detail = launches.launch_detail(session, key)
        if detail.launch.thread_ts:
            return detail.launch.thread_ts
    card = herald.renderer.message("launch_card.json.j2", detail=detail, today=herald.today())
    response = await _post(client, channel=detail.launch.channel_id, **card)
    with session_scope(herald.engine) as session:
        launches.set_thread(session, launch_id=detail.launch.id, thread_ts=response["ts"])
    return response["ts"]


async def _post(client: AsyncWebClient, **message):
    """Post; if Herald is not in the public channel yet, join it once and try again."""
    try:
        return await client.chat_postMessage(**message)
    except SlackApiError as error:
        if error.response.get("error") != "not_in_channel":
            raise
        await client.conversations_join(channel=message["channel"])
        return await client.chat_postMessage(**message)
