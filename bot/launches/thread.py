"""Posting launch changes in the launch's channel, threaded under one message per launch."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SlackRefused, SlackUncertain
from bot.launches.changes import Change, set_thread
from bot.launches.read import launch_detail

log = logging.getLogger(__name__)

# One thread root per launch even when two changes arrive together in this process.
_thread_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)


async def post_launch_update(herald: Herald, change: Change) -> None:
    """Post the change in the launch's thread; tell the person who made it if Slack refuses."""
    launch = change.launch
    actor_id = change.changes[0].actor_id
    try:
        async with _thread_locks[launch.id]:
            thread_ts = launch.thread_ts or await _start_thread(herald, launch.key)
        update = herald.renderer.message("launches/update.json.j2", launch=launch, changes=change.changes,
                                         actor_id=actor_id)
        await herald.messenger.post(launch.channel_id, update, thread_ts=thread_ts)
    except SlackRefused as refused:
        log.warning("could not post update of launch %s in %s: %s", launch.key, launch.channel_id, refused.reason)
        notice = herald.renderer.message("launches/update_not_posted.json.j2", launch=launch, reason=refused.reason)
        try:
            await herald.messenger.post(actor_id, notice)
        except (SlackRefused, SlackUncertain) as error:
            log.warning("could not tell %s that the update was not posted: %s", actor_id, error)


async def _start_thread(herald: Herald, key: str) -> str:
    """Post the launch's card as the thread root and remember it, so later updates reply under it."""
    with session_scope(herald.engine) as session:
        detail = launch_detail(session, key)
        if detail.launch.thread_ts:
            return detail.launch.thread_ts
    card = herald.renderer.message("launches/card.json.j2", detail=detail, today=herald.today())
    ts = await herald.messenger.post(detail.launch.channel_id, card)
    with session_scope(herald.engine) as session:
        set_thread(session, launch_id=detail.launch.id, thread_ts=ts)
    return ts
