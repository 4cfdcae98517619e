"""Posting launch changes in the launch's channel, threaded under one message per launch.

Where to post is read from the store when posting, channel and thread root together: a launch moved
to another channel has forgotten its old root (changes.change_field), so its next update starts a
new thread there, and an update already on its way posts in the channel its thread root is in.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from sqlmodel import select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SlackRefused, SlackUncertain
from bot.launches.changes import Change, set_thread
from bot.launches.models import Launch
from bot.launches.read import detail_of

log = logging.getLogger(__name__)

# One thread root per launch even when two changes arrive together in this process.
_thread_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)


async def post_launch_update(herald: Herald, change: Change) -> None:
    """Post the change in the launch's thread; tell the person who made it if Slack refuses."""
    launch = change.launch
    actor_id = change.changes[0].actor_id
    channel_id = launch.channel_id
    try:
        async with _thread_locks[launch.id]:
            place = await _thread(herald, launch.id)
        if place is None:  # the channel was cleared since the change
            return
        channel_id, thread_ts = place
        update = herald.renderer.message("launches/update.json.j2", launch=launch, changes=change.changes,
                                         actor_id=actor_id)
        await herald.messenger.post(channel_id, update, thread_ts=thread_ts)
    except SlackRefused as refused:
        log.warning("could not post update of launch %s in %s: %s", launch.key, channel_id, refused.reason)
        notice = herald.renderer.message("launches/update_not_posted.json.j2", launch=launch, channel_id=channel_id,
                                         reason=refused.reason)
        try:
            await herald.messenger.post(actor_id, notice)
        except (SlackRefused, SlackUncertain) as error:
            log.warning("could not tell %s that the update was not posted: %s", actor_id, error)


async def _thread(herald: Herald, launch_id: int) -> tuple[str, str] | None:
    """The launch's channel and its thread root there, posting the launch's card as the root if it has none."""
    with session_scope(herald.engine) as session:
        channel_id, thread_ts = session.exec(
            select(Launch.channel_id, Launch.thread_ts).where(Launch.id == launch_id)).one()
        if channel_id is None:
            return None
        if thread_ts is not None:
            return channel_id, thread_ts
        detail = detail_of(session, session.get_one(Launch, launch_id))
    card = herald.renderer.message("launches/card.json.j2", detail=detail, today=herald.today())
    ts = await herald.messenger.post(channel_id, card)
    with session_scope(herald.engine) as session:
        if set_thread(session, launch_id=launch_id, channel_id=channel_id, thread_ts=ts):
            return channel_id, ts
        stored = session.exec(select(Launch.channel_id, Launch.thread_ts).where(Launch.id == launch_id)).one()
    # Another replica rooted the thread first; or the launch moved on, and this card is in the old channel.
    return (channel_id, stored[1]) if stored[0] == channel_id and stored[1] else (channel_id, ts)
