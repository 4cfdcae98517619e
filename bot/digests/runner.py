"""Posting a digest once for each period, from any replica, whatever Slack or a crash does.

Whether and what to post is decided from Herald's tables: the period is claimed by inserting a
unique row before posting, so a replica that loses the claim does nothing. The post carries the
run in its metadata; a post whose outcome is unknown (timeout, 5xx, a crash) is looked for in the
channel before it is posted again, so a digest is never posted twice and never silently lost.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SETTLE, Messenger, SlackRefused, SlackUncertain
from bot.core.render import Message
from bot.core.slack_ids import is_user_id
from bot.digests.claims import abandoned_runs, claim_period, claimed_periods, move, release_claim, take_over
from bot.digests.content import content, shipping
from bot.digests.models import Digest, RunState
from bot.digests.schedules import schedule_of
from bot.launches.slips import slip_days

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
METADATA_EVENT = "herald_digest"
LEASE = timedelta(seconds=60)  # longer than a post can be on its way (SETTLE): then it is looked for
LOOK_PAGES = 2


@dataclass(frozen=True)
class Claim:
    """A period this replica holds, and what to post for it."""

    digest: Digest
    period: datetime
    token: str
    attempt_at: datetime | None  # set when taken over from a run whose post may have landed
    late: bool  # past the grace period
    message: Message | None  # None: nothing to say


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
        claim = await asyncio.to_thread(self._claim, digest_id, now or self.herald.clock(), period)
        if isinstance(claim, str):
            return claim
        if claim.attempt_at is not None:  # an earlier post may have landed: look before anything else
            looked = await self._look(claim)
            if looked is not None:
                return looked
        if claim.message is None or claim.late:
            await self._move(claim.token, state=RunState.SKIPPED, lease_until=None)
            return "empty" if claim.message is None else "too late"
        return await self._post(claim, claim.message)

    def _claim(self, digest_id: int, now: datetime, period: datetime | None) -> Claim | str:
        """Claim the period (or take over a run whose lease ran out) and render it, in a thread: the digest's
        queries and cron arithmetic never hold up the event loop. A string says why there is nothing to do."""
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
        return Claim(digest, period, token, attempt_at, late, message)

    async def _post(self, claim: Claim, message: Message) -> str:
        digest, token = claim.digest, claim.token
        started = self.herald.clock()
        if not await self._move(token, state=RunState.POSTING, attempt_at=started, lease_until=started + self.lease):
            return "claimed"
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"run": _run_key(digest, claim.period)}}
        try:
            ts = await self.messenger.post(digest.channel_id, {"unfurl_links": False, **message}, metadata=metadata)
        except SlackRefused as refused:
            if refused.server_error:
                return await self._uncertain(claim, refused, look_at=started + self.settle)
            await asyncio.to_thread(self._release, token)
            if refused.channel_gone:
                return await self._stop(digest, refused.reason)
            log.warning("digest for %s not posted, will retry: %s", digest.channel_id, refused)
            return "failed"
        except SlackUncertain as error:
            return await self._uncertain(claim, error, look_at=started + self.settle)
        await self._move(token, state=RunState.POSTED, message_ts=ts, lease_until=None)
        return "posted"

    async def _look(self, claim: Claim) -> str | None:
        """"posted" if the earlier post is in the channel, None to post; a look that fails proves nothing."""
        try:
            found = await self.messenger.find_posted(claim.digest.channel_id, event_type=METADATA_EVENT, key="run",
                                                     value=_run_key(claim.digest, claim.period), pages=LOOK_PAGES)
        except SlackRefused as refused:
            if refused.channel_gone:
                await self._move(claim.token, state=RunState.SKIPPED, lease_until=None)
                return await self._stop(claim.digest, refused.reason)
            return await self._look_failed(claim, refused.reason)
        except SlackUncertain as error:
            return await self._look_failed(claim, str(error))
        if found is None:
            return None
        await self._move(claim.token, state=RunState.POSTED, message_ts=found.ts, lease_until=None)
        return "posted"

    async def _look_failed(self, claim: Claim, reason: str) -> str:
        """Look again later; past the grace period, stop and tell whoever set the digest up."""
        if not claim.late:
            return await self._uncertain(claim, reason, look_at=self.herald.clock() + self.settle)
        await self._move(claim.token, state=RunState.SKIPPED, lease_until=None)
        await self._tell(claim.digest, stopped=False, reason=reason, period=claim.period)
        return "gave up"

    async def _uncertain(self, claim: Claim, error: object, *, look_at: datetime) -> str:
        """Maybe posted: leave the run open, to be looked for once a post still on its way has landed."""
        log.warning("digest for %s may or may not have been posted; looking later: %s", claim.digest.channel_id,
                    error)
        await self._move(claim.token, lease_until=look_at)
        return "uncertain"

    async def _stop(self, digest: Digest, reason: str) -> str:
        """The channel is gone or closed to Herald: the digest is turned off and its creator told."""
        await asyncio.to_thread(self._remove, digest.id)
        log.warning("turned off the digest of %s: %s", digest.channel_id, reason)
        await self._tell(digest, stopped=True, reason=reason, period=None)
        return "stopped"

    async def _tell(self, digest: Digest, **context) -> None:
        if not is_user_id(digest.created_by):
            return
        message = self.herald.renderer.message("digests/digest_problem.json.j2", channel_id=digest.channel_id,
                                               **context)
        try:
            await self.messenger.post(digest.created_by, message)
        except (SlackRefused, SlackUncertain) as error:
            log.warning("could not tell %s about their digest: %s", digest.created_by, error)

    async def _move(self, token: str, **values) -> bool:
        return await asyncio.to_thread(self._moved, token, values)

    def _moved(self, token: str, values: dict) -> bool:
        with session_scope(self.herald.engine) as session:
            return move(session, token, **values)

    def _release(self, token: str) -> None:
        with session_scope(self.herald.engine) as session:
            release_claim(session, token)

    def _remove(self, digest_id: int) -> None:
        with session_scope(self.herald.engine) as session:
            if (row := session.get(Digest, digest_id)) is not None:
                session.delete(row)  # its runs go with it

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
        return None  # the figures alone are no news: they are there every week
    weekly = schedule.is_weekly and digest.insights
    title = "Your launches" if digest.personal else "Launch digest"
    return herald.renderer.message(
        "digests/digest.json.j2", title=title, content=found, filters=digest.filters, today=today,
        schedule=schedule.describe(), zone=digest.timezone, slip_days=slip_days,
        shipping=shipping(session, digest, today=today, tz=herald.settings.zone) if weekly else None)


def _run_key(digest: Digest, period: datetime) -> str:
    """What a digest post's metadata names: the digest and the period it stands for."""
    return f"{digest.id}:{_utc(period).isoformat()}"


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for values stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
