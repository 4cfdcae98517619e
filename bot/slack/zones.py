"""People's time zones as Slack knows them (users.info `tz`), kept in memory for a while.

Sign-off nudges reach each person at 10:00 their own time. A zone changes when someone travels, rarely;
asking Slack again every KEEP is fresh enough and keeps a nudge run to a handful of users.info calls.
Nothing is stored: a restarted replica asks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

KEEP = 12 * 3600.0  # seconds a person's zone is trusted before Slack is asked again


class SlackTimeZones:
    def __init__(self, client: AsyncWebClient, *, keep: float = KEEP,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.keep = keep
        self.monotonic = monotonic
        self._known: dict[str, tuple[ZoneInfo, float]] = {}

    async def zones(self, user_ids: Iterable[str]) -> dict[str, ZoneInfo]:
        """Each user's zone; one Slack cannot give (unknown user, no `tz`, Slack failing) is left out."""
        now = self.monotonic()
        found: dict[str, ZoneInfo] = {}
        for user_id in sorted(set(user_ids)):
            known = self._known.get(user_id)
            if known is None or now - known[1] > self.keep:
                zone = await self._ask(user_id)
                if zone is None:
                    continue
                known = self._known[user_id] = (zone, now)
            found[user_id] = known[0]
        return found

    async def _ask(self, user_id: str) -> ZoneInfo | None:
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except (SlackApiError, OSError, TimeoutError) as error:
            log.warning("no time zone for %s from Slack (%s); using Herald's own", user_id, error)
            return None
        try:
            return ZoneInfo(user.get("tz") or "")
        except (ZoneInfoNotFoundError, ValueError):
            return None
