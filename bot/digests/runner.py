"""Posting a digest once for each period, from any replica.

Whether and what to post is decided from Herald's tables: the period is claimed by inserting a
unique row before posting, so a replica that loses the claim does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SlackRefused, SlackUncertain
from bot.core.render import Message
from bot.digests.claims import claim_period, claimed_periods, release_claim
from bot.digests.content import content, slip_days
from bot.digests.models import Digest
from bot.digests.schedules import schedule_of

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)


class DigestRunner:
    def __init__(self, herald: Herald, *, grace: timedelta = GRACE) -> None:
        self.herald = herald
        self.grace = grace

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
            if not claim_period(session, digest_id=digest.id, period=period, posted=not late):
                return "claimed"
            if late:
                log.info("skipping the digest of %s due %s: %s late, over the grace period",
                         digest.channel_id, period.isoformat(), now - period)
                return "too late"
            message = render(self.herald, session, digest, period=period)
        if message is None:
            return "empty"
        try:
            await self.herald.messenger.post(digest.channel_id, {"unfurl_links": False, **message})
        except (SlackRefused, SlackUncertain) as error:
            log.warning("digest for %s not posted, will retry: %s", digest.channel_id, error)
            with session_scope(self.herald.engine) as session:
                release_claim(session, digest_id=digest_id, period=period)
            return "failed"
        return "posted"

    async def catch_up(self, *, now: datetime | None = None) -> None:
        """Post, once, any digest whose newest period nobody claimed: after downtime, or a failed post."""
        now = now or self.herald.clock()
        with session_scope(self.herald.engine) as session:
            rows = session.exec(select(Digest)).all()
            claimed = claimed_periods(session)
        for digest in rows:
            period = schedule_of(digest).last_fire(now)
            if period is not None and (digest.id not in claimed or _utc(claimed[digest.id]) < period):
                await self.run(digest.id, now=now)


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
