"""Members of the user groups named in HERALD_ANNOUNCERS, asked of Slack and kept fresh in Herald's roles.

The domain checks roles without a Slack library, so the runtime resolves groups here, every few
minutes; until the first answer, only the user IDs named directly count.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.core.herald import Herald
from bot.core.roles import Roles

log = logging.getLogger(__name__)

REFRESH = 600.0  # seconds between asking Slack again; a new member waits at most this long


async def refresh_announcers(herald: Herald) -> None:
    """Herald's roles with the announcer groups' current members (usergroups.users.list)."""
    settings = herald.settings
    members: set[str] = set()
    for group in sorted(settings.announcer_groups):
        response = await herald.slack.usergroups_users_list(usergroup=group)
        members |= set(response.get("users") or [])
    herald.roles = Roles(settings.admins, settings.announcers | members)


async def keep_announcers_fresh(herald: Herald, *, every: float = REFRESH) -> None:
    if not herald.settings.announcer_groups:
        return
    while True:
        try:
            await refresh_announcers(herald)
        except (SlackApiError, OSError, asyncio.TimeoutError) as error:
            log.warning("could not read the announcer groups' members; keeping the last known: %s", error)
        await asyncio.sleep(every)
