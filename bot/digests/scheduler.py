"""APScheduler jobs that mirror the digest table: the scheduler only wakes Herald up.

One cron job per digest row, in the digest's zone, plus a minute tick that mirrors the table and
catches up; the runner decides whether and what to post.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import NamedTuple
from weakref import WeakKeyDictionary

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.digests.models import Digest
from bot.digests.runner import GRACE, DigestRunner
from bot.digests.schedules import Schedule, schedule_of

TICK_JOB = "digests:tick"
# The scheduler running in this process for each store, so a change made here is followed at once.
_running: WeakKeyDictionary[Engine, DigestScheduler] = WeakKeyDictionary()


def digests_changed(engine: Engine) -> None:
    """This process's scheduler follows a changed digest table right after the answer; other replicas within
    a minute."""
    if (scheduler := _running.get(engine)) is not None:
        scheduler.herald.background.spawn(scheduler.sync())


class NewJob(NamedTuple):
    job_id: str
    digest_id: int
    schedule: Schedule
    first: datetime  # its first run, worked out off the loop


class DigestScheduler:
    """APScheduler jobs that mirror the digest table: a job lives as long as its row, once its schedule comes
    within a year."""

    def __init__(self, herald: Herald, runner: DigestRunner) -> None:
        self.herald = herald
        self.runner = runner
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._syncing = asyncio.Lock()  # one sync at a time: an older read never undoes a newer one

    async def start(self) -> None:
        _running[self.herald.engine] = self
        await self.sync()
        self.scheduler.add_job(self.tick, IntervalTrigger(minutes=1), id=TICK_JOB, coalesce=True)
        self.scheduler.start()
        await self.runner.catch_up()

    def stop(self) -> None:
        _running.pop(self.herald.engine, None)
        self.scheduler.shutdown(wait=False)

    async def tick(self) -> None:
        await self.sync()
        await self.runner.catch_up()

    async def sync(self) -> None:
        """Add a job for each new digest row, replace changed ones, remove those whose row is gone.

        The table is read, and new jobs' first runs worked out, in a thread: with many rows that takes a
        while, and Slack's acks must not wait on it. Jobs are added and removed here, on the loop, as
        AsyncIOScheduler requires.
        """
        async with self._syncing:
            wanted, new = await asyncio.to_thread(self._read_table, self.job_ids())
            for job in self.scheduler.get_jobs():
                if job.id != TICK_JOB and job.id not in wanted:
                    job.remove()
            for job in new:
                # The first run is given, so APScheduler never searches for it on the loop.
                self.scheduler.add_job(self.runner.run, job.schedule.trigger(), args=[job.digest_id], id=job.job_id,
                                       next_run_time=job.first, coalesce=True,
                                       misfire_grace_time=int(GRACE.total_seconds()))

    def _read_table(self, scheduled: set[str]) -> tuple[set[str], list[NewJob]]:
        """(in a thread) Every row's job id, and the jobs to add: rows not `scheduled` yet that come within a year.

        A row that does not (a date that never comes, stored before such schedules were refused) gets no
        job; it is looked at again, cheaply, at the next sync.
        """
        now = datetime.now(UTC)  # APScheduler runs jobs on the wall clock
        with session_scope(self.herald.engine) as session:
            rows = session.exec(select(Digest)).all()
        wanted, new = set(), []
        for digest in rows:
            job_id = f"digest:{digest.id}:{digest.cron}:{digest.timezone}"
            wanted.add(job_id)
            schedule = schedule_of(digest)
            if job_id not in scheduled and (first := schedule.next_fire(now)) is not None:
                new.append(NewJob(job_id, digest.id, schedule, first))
        return wanted, new

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs()} - {TICK_JOB}
