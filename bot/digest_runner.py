"""Posting digests on time, once, from any replica.

APScheduler only wakes Herald up (one cron job per digest row, plus a minute tick that mirrors the
table and catches up); whether and what to post is decided from Herald's tables: the period is
claimed by inserting a unique row before posting, so a replica that loses the claim does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot import digests
from bot.db import session_scope
from bot.models import Digest
from bot.render import Message

if TYPE_CHECKING:
    from bot.app import Herald

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
TICK_JOB = "digests:tick"


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
            period = period or digests.schedule_of(digest).last_fire(now)
            if period is None:
                return "not due"
            late = now - period > self.grace
            if not digests.claim_period(session, digest_id=digest.id, period=period, posted=not late):
                return "claimed"
            if late:
                log.info("skipping the digest of %s due %s: %s late, over the grace period",
                         digest.channel_id, period.isoformat(), now - period)
                return "too late"
            message = self.render(session, digest, period=period, now=now)
        if message is None:
            return "empty"
        try:
            await self.herald.slack.chat_postMessage(channel=digest.channel_id, unfurl_links=False, **message)
        except (SlackApiError, OSError) as error:
            log.warning("digest for %s not posted, will retry: %s", digest.channel_id, error)
            with session_scope(self.herald.engine) as session:
                digests.release_claim(session, digest_id=digest_id, period=period)
            return "failed"
        return "posted"

    def render(self, session, digest: Digest, *, period: datetime, now: datetime, force: bool = False) -> Message | None:
        """The digest for `period` (None when there is nothing to say and the channel did not ask for always)."""
        schedule = digests.schedule_of(digest)
        today = period.astimezone(ZoneInfo(digest.timezone)).date()  # the digest's own day, not the server's
        # Up to `period`, not `now`: what happens while a late digest is on its way belongs to the next one.
        content = digests.content(session, digest, since=schedule.previous_fire(period), until=period, today=today)
        if content.is_empty and not (digest.always or force):
            return None
        title = "Your launches" if digest.personal else "Launch digest"
        return self.herald.renderer.message(
            "digest.json.j2", title=title, content=content, filters=digest.filters, today=today,
            schedule=schedule.describe(), zone=digest.timezone, slip_days=digests.slip_days)

    async def catch_up(self, *, now: datetime | None = None) -> None:
        """Post, once, any digest whose newest period nobody claimed: after downtime, or a failed post."""
        now = now or self.herald.clock()
        with session_scope(self.herald.engine) as session:
            rows = session.exec(select(Digest)).all()
            claimed = digests.claimed_periods(session)
        for digest in rows:
            period = digests.schedule_of(digest).last_fire(now)
            if period is not None and (digest.id not in claimed or _utc(claimed[digest.id]) < period):
                await self.run(digest.id, now=now)


class DigestScheduler:
    """APScheduler jobs that mirror the digest table: a job lives exactly as long as its row."""

    def __init__(self, herald: Herald, runner: DigestRunner) -> None:
        self.herald = herald
        self.runner = runner
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)

    async def start(self) -> None:
        self.sync()
        self.scheduler.add_job(self.tick, IntervalTrigger(minutes=1), id=TICK_JOB, coalesce=True)
        self.scheduler.start()
        await self.runner.catch_up()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)

    async def tick(self) -> None:
        self.sync()
        await self.runner.catch_up()

    def sync(self) -> None:
        """Add a job for each new digest row, replace changed ones, remove those whose row is gone."""
        with session_scope(self.herald.engine) as session:
            wanted = {f"digest:{d.id}:{d.cron}:{d.timezone}": d for d in session.exec(select(Digest)).all()}
        for job in self.scheduler.get_jobs():
            if job.id != TICK_JOB and job.id not in wanted:
                job.remove()
        for job_id, digest in wanted.items():
            if self.scheduler.get_job(job_id) is None:
                self.scheduler.add_job(self.runner.run, digests.schedule_of(digest).trigger(), args=[digest.id],
                                       id=job_id, coalesce=True, misfire_grace_time=int(GRACE.total_seconds()))

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs()} - {TICK_JOB}


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for values stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
