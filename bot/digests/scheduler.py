"""APScheduler jobs that mirror the digest table: the scheduler only wakes Herald up.

One cron job per digest row, in the digest's zone, plus a minute tick that mirrors the table and
catches up; the runner decides whether and what to post.
"""

from __future__ import annotations

from datetime import timezone
from weakref import WeakKeyDictionary

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.digests.models import Digest
from bot.digests.runner import GRACE, DigestRunner
from bot.digests.schedules import schedule_of

TICK_JOB = "digests:tick"
# The scheduler running in this process for each store, so a change made here is followed at once.
_running: WeakKeyDictionary[Engine, DigestScheduler] = WeakKeyDictionary()


def digests_changed(engine: Engine) -> None:
    """This process's scheduler follows a changed digest table at once; other replicas within a minute."""
    if (scheduler := _running.get(engine)) is not None:
        scheduler.sync()


class DigestScheduler:
    """APScheduler jobs that mirror the digest table: a job lives exactly as long as its row."""

    def __init__(self, herald: Herald, runner: DigestRunner) -> None:
        self.herald = herald
        self.runner = runner
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)

    async def start(self) -> None:
        _running[self.herald.engine] = self
        self.sync()
        self.scheduler.add_job(self.tick, IntervalTrigger(minutes=1), id=TICK_JOB, coalesce=True)
        self.scheduler.start()
        await self.runner.catch_up()

    def stop(self) -> None:
        _running.pop(self.herald.engine, None)
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
                self.scheduler.add_job(self.runner.run, schedule_of(digest).trigger(), args=[digest.id],
                                       id=job_id, coalesce=True, misfire_grace_time=int(GRACE.total_seconds()))

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs()} - {TICK_JOB}
