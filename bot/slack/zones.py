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
        self._known: dict[str, tuple[ZoneInfo | None, float]] = {}

    async def zones(self, user_ids: Iterable[str]) -> dict[str, ZoneInfo | None]:
        """Each user's zone; None where Slack has no usable one (Herald's own is used then); a user Slack did not
        answer about now (rate limited, failing, silent) is left out, so nobody is nudged at a guessed hour."""
        now = self.monotonic()
        found: dict[str, ZoneInfo | None] = {}
        for user_id in sorted(set(user_ids)):
            known = self._known.get(user_id)
            if known is None or now - known[1] > self.keep:
                try:
                    zone = await self._ask(user_id)
                except Unanswered:
                    continue
                known = self._known[user_id] = (zone, now)
            found[user_id] = known[0]
        return found

    async def _ask(self, user_id: str) -> ZoneInfo | None:
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except SlackApiError as error:
            if error.response.get("error") == "ratelimited" or error.response.status_code >= 500:
                log.warning("Slack did not say %s's time zone (%s); asked again next run", user_id, error)
                raise Unanswered from error
            return None  # a definite answer: no such user, or none to tell
        except (OSError, TimeoutError) as error:
            log.warning("Slack did not say %s's time zone (%s); asked again next run", user_id, error)
            raise Unanswered from error
        return zone_named(user.get("tz"))


class Unanswered(Exception):
    """Slack gave no answer about a person this time."""


def zone_named(name: object) -> ZoneInfo | None:
    """The zone Slack names; None for anything that is none ("America", 300 characters, a number, empty)."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
