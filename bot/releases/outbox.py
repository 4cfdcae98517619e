"""The outbox worker: sends every release announcement exactly once, whatever Slack, a crash or a replica does.

Each round claims due deliveries under one lease token. Every later change the worker makes to a row
is a conditional update on that token (fencing), so a worker whose lease was taken over can neither
post nor record; a heartbeat renews the lease while posts are in flight. A post whose outcome is
unknown (timeout, dropped connection, 5xx, crash) leaves the row `uncertain`: nobody posts it again
before looking for its metadata in the channel, and only once the earlier post can no longer be on
its way. The README's "How announcements are delivered" draws the states.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlmodel import col, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SETTLE, Messenger, SlackRefused, SlackUncertain
from bot.core.slack_ids import is_user_id
from bot.releases import recording as releases
from bot.releases.announcement import announcement, who_to_ask
from bot.releases.models import Delivery, DeliveryState, Release
from bot.releases.pacing import Pace, Pacer

log = logging.getLogger(__name__)

METADATA_EVENT = "herald_release_announcement"
RECONCILE_PAGES = 5
UNFURL_NOTHING = {"unfurl_links": False, "unfurl_media": False}
LEASE = timedelta(seconds=15)
LOOKUPS = Pace(per_channel=0.0, per_second=50 / 60, window=60)  # conversations.history: Tier 3, ~50 a minute
LOOKS_PER_ROUND = 10  # uncertain rows claimed at once, so that slow, paced looks never hold up new posts
UNFINISHED = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.UNCERTAIN)


class DeliveryWorker:
    def __init__(
        self,
        herald: Herald,
        messenger: Messenger,
        *,
        lease: timedelta = LEASE,
        settle: timedelta = SETTLE,
        concurrency: int = 20,
        max_attempts: int = 5,
        pace: Pace = Pace(),
        lookups: Pace = LOOKUPS,
    ) -> None:
        self.herald = herald
        self.messenger = messenger  # its client must not retry dropped connections: a blind re-post could post twice
        self.lease = lease
        self.settle = settle
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.pace = pace
        self.pacer = Pacer(pace)
        self.lookups = Pacer(lookups)
        self.instance = herald.settings.instance_id
        self.stopping = False

    async def run_forever(self, *, idle: float = 1.0) -> None:
        """Until `stop()`: the leases this instance held before a crash are free at once, not after they run out."""
        self.release_own_leases()
        while not self.stopping:
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("delivery round failed; trying again")
                busy = 0
            if not busy:
                await asyncio.sleep(idle)

    def stop(self) -> None:
        """Claim nothing more; posts not yet started are handed back, those in flight finish."""
        self.stopping = True

    def release_own_leases(self) -> None:
        """Hand back every lease this instance holds: at start (a previous life's) and after stopping."""
        self._hand_back(Delivery.leased_by == self.instance)

    async def run_once(self) -> int:
        """Fan out due releases, then post, look for, or update what can be claimed now. Returns the count."""
        now = self.herald.clock()
        with session_scope(self.herald.engine) as session:
            for release in releases.due_releases(session, now=now):
                releases.fan_out(session, release)
        self._hand_back((Delivery.state == DeliveryState.SENDING) & _free(now))  # a dead worker's rows
        token, claimed = self._claim(now)
        if not claimed:
            return 0
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(delivery_id: int, state: str) -> None:
            async with semaphore:
                try:
                    await self._deliver(delivery_id, DeliveryState(state), token)
                except Exception as error:  # one broken delivery (a template, the store) never stops the rest
                    log.exception("delivery %s failed", delivery_id)
                    self._broken(delivery_id, token, repr(error))

        heartbeat = asyncio.create_task(self._renew(token))
        try:
            await asyncio.gather(*(one(d, s) for d, s in claimed))
        finally:
            heartbeat.cancel()
            self._hand_back(Delivery.lease_token == token)
        return len(claimed)

    def _hand_back(self, held) -> None:
        """Free the rows `held` selects: a claimed row is pending again, or uncertain if its post was sent."""
        sending = held & (Delivery.state == DeliveryState.SENDING)
        free = {"lease_until": None, "lease_token": None, "leased_by": None}
        with session_scope(self.herald.engine) as session:
            session.exec(update(Delivery).where(sending, col(Delivery.attempt_at).is_not(None))
                         .values(state=DeliveryState.UNCERTAIN, **free))
            session.exec(update(Delivery).where(sending, col(Delivery.attempt_at).is_(None))
                         .values(state=DeliveryState.PENDING, **free))
            session.exec(update(Delivery).where(held).values(**free))

    def _claim(self, now: datetime) -> tuple[str, list[tuple[int, str]]]:
        """Lease due deliveries under one token: pending, sent ones behind an edit, and a few uncertain ones.

        The update repeats the select's conditions, so of two replicas claiming at once each row goes to one.
        """
        revision = select(Release.revision).where(Release.id == Delivery.release_id).scalar_subquery()
        behind = (Delivery.state == DeliveryState.SENT) & (col(Delivery.shown_revision) < revision)
        ready = _free(now) & (col(Delivery.next_attempt_at) <= now)
        to_send = ready & ((Delivery.state == DeliveryState.PENDING) | behind)
        to_look = ready & (Delivery.state == DeliveryState.UNCERTAIN)
        token = uuid.uuid4().hex
        with session_scope(self.herald.engine) as session:
            session.exec(update(Delivery).where(  # rows a withdraw could not cancel while they were held
                Delivery.state == DeliveryState.PENDING,
                col(Delivery.release_id).in_(select(Release.id).where(col(Release.withdrawn))),
            ).values(state=DeliveryState.CANCELLED, last_error="withdrawn before it was shown"))
            ids = [*session.exec(select(Delivery.id).where(to_send).order_by(Delivery.id)
                                 .limit(self.concurrency * 5)).all(),
                   *session.exec(select(Delivery.id).where(to_look).order_by(Delivery.next_attempt_at)
                                 .limit(LOOKS_PER_ROUND)).all()]
            if not ids:
                return token, []
            session.exec(update(Delivery).where(col(Delivery.id).in_(ids), to_send | to_look).values(
                lease_until=now + self.lease, lease_token=token, leased_by=self.instance,
                attempts=Delivery.attempts + case((Delivery.state == DeliveryState.SENT, 0), else_=1),
                state=case((Delivery.state == DeliveryState.PENDING, DeliveryState.SENDING), else_=Delivery.state),
            ))
            claimed = session.exec(select(Delivery.id, Delivery.state).where(Delivery.lease_token == token)).all()
        return token, [(delivery_id, str(state)) for delivery_id, state in claimed]

    async def _renew(self, token: str) -> None:
        """The heartbeat: while this round runs, its lease does not run out under it."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                with session_scope(self.herald.engine) as session:
                    session.exec(update(Delivery).where(Delivery.lease_token == token)
                                 .values(lease_until=self.herald.clock() + self.lease))
            except Exception:
                log.exception("could not renew the outbox lease; its rows are fenced if another worker takes them")

    def _broken(self, delivery_id: int, token: str, reason: str) -> None:
        """Hand the row back (uncertain if it was posted) to be tried later, or given up after max_attempts."""
        mine = (Delivery.id == delivery_id) & (Delivery.lease_token == token)
        with session_scope(self.herald.engine) as session:
            attempts = session.exec(select(Delivery.attempts).where(mine)).first()
        if attempts is None:
            return  # no longer ours
        self._hand_back(mine)
        gave_up = attempts >= self.max_attempts
        with session_scope(self.herald.engine) as session:
            session.exec(update(Delivery).where(Delivery.id == delivery_id).values(
                last_error=reason[:500], next_attempt_at=self.herald.clock() + _backoff(attempts),
                **({"state": DeliveryState.FAILED} if gave_up else {})))

    async def _deliver(self, delivery_id: int, state: DeliveryState, token: str) -> None:
        with session_scope(self.herald.engine) as session:
            delivery = session.get_one(Delivery, delivery_id)
            release = session.get_one(Release, delivery.release_id)
            message = announcement(session, self.herald.renderer, release, channel_id=delivery.channel_id,
                                   subscription_id=delivery.subscription_id)
        if self.stopping:
            return  # handed back with the round's lease
        if state == DeliveryState.SENT:
            await self._update(delivery, release, message, token)
            return
        if state == DeliveryState.UNCERTAIN and not await self._look_first(delivery, release, token):
            return
        await self._post(delivery, release, message, token)

    async def _look_first(self, delivery: Delivery, release: Release, token: str) -> bool:
        """Whether to post: only when the channel shows no earlier post of this delivery."""
        try:
            async with self.lookups.slot(delivery.channel_id):
                found = await self.messenger.find_posted(delivery.channel_id, event_type=METADATA_EVENT,
                                                         key="delivery_id", value=delivery.id, pages=RECONCILE_PAGES)
        except SlackRefused as refused:
            await self._look_refused(delivery, release, token, refused)
            return False
        except SlackUncertain as error:
            self._later(delivery, token, f"looking: {error}", self.settle)
            return False
        if found is not None:
            self._move(delivery.id, token, state=DeliveryState.SENT, message_ts=found.ts, attempt_at=None,
                       shown_revision=found.payload.get("revision", 0), last_error=None)
            return False
        if release.withdrawn:
            self._move(delivery.id, token, state=DeliveryState.CANCELLED, last_error="withdrawn before it was shown")
            return False
        return self._move(delivery.id, token, keep_lease=True, state=DeliveryState.SENDING, attempt_at=None)

    async def _post(self, delivery: Delivery, release: Release, message: dict, token: str) -> None:
        metadata = {"event_type": METADATA_EVENT,
                    "event_payload": {"delivery_id": delivery.id, "release_id": release.id,
                                      "revision": release.revision}}
        started = self.herald.clock()
        try:
            async with self.pacer.slot(delivery.channel_id):
                if self.stopping or not self._start_post(delivery.id, token, started):
                    return  # shutting down, withdrawn, or the lease went to another worker
                ts = await self.messenger.post(delivery.channel_id, {**UNFURL_NOTHING, **message}, metadata=metadata)
        except SlackRefused as refused:
            await self._post_refused(delivery, release, token, refused, started)
            return
        except SlackUncertain as error:
            self._maybe_posted(delivery, token, f"connection: {error}", started)
            return
        if not self._move(delivery.id, token, state=DeliveryState.SENT, message_ts=ts, attempt_at=None,
                          shown_revision=release.revision, last_error=None):
            log.warning("announcement %s posted after its lease was taken over; the new holder finds it", delivery.id)

    def _start_post(self, delivery_id: int, token: str, now: datetime) -> bool:
        """The last fenced step before Slack: still ours, still not posted, its release not withdrawn.

        Should this process die now, whoever takes the row over looks for the post once it has settled.
        """
        with session_scope(self.herald.engine) as session:
            return bool(session.exec(update(Delivery).where(
                Delivery.id == delivery_id, Delivery.lease_token == token, Delivery.state == DeliveryState.SENDING,
                col(Delivery.attempt_at).is_(None),
                col(Delivery.release_id).in_(select(Release.id).where(col(Release.withdrawn).is_(False))),
            ).values(attempt_at=now, next_attempt_at=now + self.settle)).rowcount)

    async def _update(self, delivery: Delivery, release: Release, message: dict, token: str) -> None:
        """Bring a posted announcement up to the release's latest edit (or mark it withdrawn)."""
        try:
            async with self.pacer.slot(delivery.channel_id):
                await self.messenger.update(delivery.channel_id, delivery.message_ts, message)
        except SlackRefused as refused:
            if refused.rate_limited or refused.server_error:
                self._later(delivery, token, refused.reason, _retry_after(refused, delivery))
                return
            log.warning("announcement %s in %s cannot be updated: %s", delivery.id, delivery.channel_id,
                        refused.reason)
        except SlackUncertain as error:
            self._later(delivery, token, f"connection: {error}", self.settle)
            return
        self._move(delivery.id, token, shown_revision=release.revision)

    def _maybe_posted(self, delivery: Delivery, token: str, reason: str, started: datetime) -> None:
        """A post with no answer, or a 5xx: looked for once it can no longer be on its way (and backing off)."""
        look_at = max(started + self.settle, self.herald.clock() + _backoff(delivery.attempts))
        self._move(delivery.id, token, state=DeliveryState.UNCERTAIN, last_error=reason[:500], next_attempt_at=look_at)

    async def _post_refused(self, delivery: Delivery, release: Release, token: str, refused: SlackRefused,
                            started: datetime) -> None:
        if refused.channel_gone:
            await self._channel_gone(delivery, token, refused.reason)
        elif refused.rate_limited:  # nothing was posted, and a 429 is no failure: back after Retry-After
            self._later(delivery, token, refused.reason, _retry_after(refused, delivery), state=DeliveryState.PENDING,
                        attempts=max(0, delivery.attempts - 1))
        elif refused.server_error:  # Slack may have posted it anyway
            self._maybe_posted(delivery, token, refused.reason, started)
        elif delivery.attempts >= self.max_attempts:
            await self._give_up(delivery, release, token, refused.reason)
        else:
            self._later(delivery, token, refused.reason, _backoff(delivery.attempts), state=DeliveryState.PENDING)

    async def _look_refused(self, delivery: Delivery, release: Release, token: str, refused: SlackRefused) -> None:
        """A look that failed proves nothing: the row stays uncertain, to be looked at again, never posted blind."""
        if refused.channel_gone:
            await self._channel_gone(delivery, token, refused.reason)
        elif refused.rate_limited or refused.server_error or delivery.attempts < self.max_attempts:
            self._later(delivery, token, f"looking: {refused.reason}", _retry_after(refused, delivery),
                        attempts=delivery.attempts - int(refused.rate_limited))
        else:
            await self._give_up(delivery, release, token, f"could not check whether it was posted: {refused.reason}")

    async def _channel_gone(self, delivery: Delivery, token: str, reason: str) -> None:
        if not self._move(delivery.id, token, state=DeliveryState.FAILED, last_error=reason):
            return
        if delivery.subscription_id is None:
            return
        with session_scope(self.herald.engine) as session:
            subscription = releases.deactivate(session, delivery.subscription_id)
        if subscription:
            await self._tell(subscription.created_by, "releases/subscription_stopped.json.j2",
                             subscription=subscription, reason=reason)

    async def _give_up(self, delivery: Delivery, release: Release, token: str, reason: str) -> None:
        if not self._move(delivery.id, token, state=DeliveryState.FAILED, last_error=reason[:500]):
            return
        with session_scope(self.herald.engine) as session:
            owner = release.created_by or who_to_ask(session, release.component).user_id
        await self._tell(owner, "releases/delivery_failed.json.j2", release=release, channel_id=delivery.channel_id,
                         reason=reason)

    def _later(self, delivery: Delivery, token: str, reason: str, wait: timedelta, **values) -> bool:
        return self._move(delivery.id, token, last_error=reason[:500], next_attempt_at=self.herald.clock() + wait,
                          **values)

    def _move(self, delivery_id: int, token: str, *, keep_lease: bool = False, **values) -> bool:
        """One fenced transition: it happens only while this worker's lease on the row still holds."""
        if values.get("state") in (DeliveryState.PENDING, DeliveryState.CANCELLED):
            values.setdefault("attempt_at", None)
        if values.get("state") == DeliveryState.SENT:  # an edit may follow at once
            values.setdefault("next_attempt_at", self.herald.clock())
        if not keep_lease:
            values.update(lease_until=None, lease_token=None, leased_by=None)
        with session_scope(self.herald.engine) as session:
            return bool(session.exec(update(Delivery).where(Delivery.id == delivery_id, Delivery.lease_token == token)
                                     .values(**values)).rowcount)

    async def _tell(self, user_id: str | None, template: str, **context) -> None:
        if not is_user_id(user_id):
            return  # a CLI user or a GitHub login, not someone Slack can reach
        try:
            await self.messenger.post(user_id, self.herald.renderer.message(template, **context))
        except (SlackRefused, SlackUncertain) as error:
            log.warning("could not tell %s about a delivery problem: %s", user_id, error)


def _free(now: datetime):
    return or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** attempts))


def _retry_after(refused: SlackRefused, delivery: Delivery) -> timedelta:
    if refused.retry_after is not None:
        return timedelta(seconds=refused.retry_after)
    return timedelta(seconds=1) if refused.rate_limited else _backoff(delivery.attempts)
