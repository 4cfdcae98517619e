"""Posting a digest once for each period, from any replica, whatever Slack or a crash does.

Whether and what to post is decided from Herald's tables: the period is claimed by inserting a
unique row before posting, so a replica that loses the claim does nothing. The post carries the
run in its metadata; a post whose outcome is unknown (timeout, 5xx, a crash) is looked for in the
channel before it is posted again, so a digest is never posted twice and never silently lost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import Messenger, SlackRefused, SlackUncertain
from bot.core.render import Message
from bot.digests.claims import abandoned_runs, claim_period, claimed_periods, move, release_claim, take_over
from bot.digests.content import content, slip_days
from bot.digests.models import Digest, RunState
from bot.digests.schedules import schedule_of

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
METADATA_EVENT = "herald_digest"
LEASE = timedelta(seconds=60)  # longer than one post can take (the client's timeout): then it is looked for
SETTLE = timedelta(seconds=10)  # how long Slack may still carry out a post whose answer never came
LOOK_PAGES = 2


class DigestRunner:
    def __init__(self, herald: Herald, *, messenger: Messenger | None = None, grace: timedelta = GRACE,
                 lease: timedelta = LEASE, settle: timedelta = SETTLE) -> None:
        self.herald = herald
        self.messenger = messenger or herald.messenger
        self.grace = grace
        self.lease = lease
        self.settle = settle

    async def run(self, digest_id: int, *, now: datetime | None = None, period: datetime | None = None) -> str:
        """Post the digest for its newest scheduled time (or `period`, when asked for one now), once."""
        now = now or self.herald.clock()
        with session_scope(self.herald.engine) as session:
            digest = session.get(Digest, digest_id)
            if digest is None:
                return "gone"  # the row was removed: its job posts nothing
            period = period or schedule_of(digest).last_fire(now)
            if period is None:
                return "not due"
            late = now - period > self.grace
            token = claim_period(session, digest_id=digest_id, period=period, lease_until=now + self.lease, skip=late)
            attempt_at = None
            if token is None:
                taken = take_over(session, digest_id=digest_id, period=period, now=now, lease_until=now + self.lease)
                if taken is None:
                    return "claimed"
                token, attempt_at = taken[0], taken[1].attempt_at
            elif late:
                log.info("skipping the digest of %s due %s: %s late, over the grace period",
                         digest.channel_id, period.isoformat(), now - period)
                return "too late"
            message = render(self.herald, session, digest, period=period)
        run_key = f"{digest_id}:{_utc(period).isoformat()}"
        if attempt_at is not None:  # an earlier post may have landed: look before anything else
            looked = await self._look(digest.channel_id, run_key, token)
            if looked is not None:
                return looked
        if message is None or late:
            self._move(token, state=RunState.SKIPPED, lease_until=None)
            return "empty" if message is None else "too late"
        return await self._post(digest.channel_id, message, run_key, token)

    async def _post(self, channel_id: str, message: Message, run_key: str, token: str) -> str:
        now = self.herald.clock()
        if not self._move(token, state=RunState.POSTING, attempt_at=now, lease_until=now + self.lease):
            return "claimed"
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"run": run_key}}
        try:
            ts = await self.messenger.post(channel_id, {"unfurl_links": False, **message}, metadata=metadata)
        except SlackRefused as refused:
            if refused.server_error:
                return self._uncertain(channel_id, token, refused)
            log.warning("digest for %s not posted, will retry: %s", channel_id, refused)
            with session_scope(self.herald.engine) as session:
                release_claim(session, token)
            return "failed"
        except SlackUncertain as error:
            return self._uncertain(channel_id, token, error)
        self._move(token, state=RunState.POSTED, message_ts=ts, lease_until=None)
        return "posted"

    async def _look(self, channel_id: str, run_key: str, token: str) -> str | None:
        """"posted" if the earlier post is in the channel, "uncertain" if looking failed, None to post."""
        try:
            found = await self.messenger.find_posted(channel_id, event_type=METADATA_EVENT, key="run", value=run_key,
                                                     pages=LOOK_PAGES)
        except (SlackRefused, SlackUncertain) as error:
            return self._uncertain(channel_id, token, error)
        if found is None:
            return None
        self._move(token, state=RunState.POSTED, message_ts=found.ts, lease_until=None)
        return "posted"

    def _uncertain(self, channel_id: str, token: str, error: Exception) -> str:
        """Maybe posted: leave the run open, to be looked for once a post still on its way has landed."""
        log.warning("digest for %s may or may not have been posted; looking again later: %s", channel_id, error)
        self._move(token, lease_until=self.herald.clock() + self.settle)
        return "uncertain"

    def _move(self, token: str, **values) -> bool:
        with session_scope(self.herald.engine) as session:
            return move(session, token, **values)

    async def catch_up(self, *, now: datetime | None = None) -> None:
        """Post, once, any digest whose newest period nobody claimed (after downtime, or a refused post),
        and settle the runs whose replica died or whose post's outcome is unknown."""
        now = now or self.herald.clock()
        for digest_id, period in await asyncio.to_thread(self._due, now):  # cron arithmetic stays off the loop
            await self.run(digest_id, now=now, period=period)

    def _due(self, now: datetime) -> list[tuple[int, datetime]]:
        with session_scope(self.herald.engine) as session:
            rows = session.exec(select(Digest)).all()
            claimed = claimed_periods(session)
            due = [(digest_id, _utc(period)) for digest_id, period in abandoned_runs(session, now=now)]
        for digest in rows:
            period = schedule_of(digest).last_fire(now)
            if period is not None and (digest.id not in claimed or _utc(claimed[digest.id]) < period):
                due.append((digest.id, period))
        return due


def render(herald: Herald, session: Session, digest: Digest, *, period: datetime,
           force: bool = False) -> Message | None:
    """The digest for `period` (None when there is nothing to say and the channel did not ask for always)."""
    schedule = schedule_of(digest)
    today = period.astimezone(ZoneInfo(digest.timezone)).date()  # the digest's own day, not the server's
    # Up to `period`, not `now`: what happens while a late digest is on its way belongs to the next one.
    found = content(session, digest, since=schedule.previous_fire(period), until=period, today=today)
    if found.is_empty and not (digest.always or force):
        return None
    title = "Your launches" if digest.personal else "Launch digest"
    return herald.renderer.message(
        "digests/digest.json.j2", title=title, content=found, filters=digest.filters, today=today,
        schedule=schedule.describe(), zone=digest.timezone, slip_days=slip_days)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for values stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
