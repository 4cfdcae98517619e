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
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import SETTLE, Messenger, SlackRefused, SlackUncertain
from bot.core.slack_ids import is_user_id
from bot.releases import recording as releases
from bot.releases.announcement import who_to_ask
from bot.releases.leases import Claimed, Leases, backoff, free_at
from bot.releases.models import Delivery, DeliveryState
from bot.releases.pacing import Pace, Pacer

T = TypeVar("T")

log = logging.getLogger(__name__)

METADATA_EVENT = "herald_release_announcement"
RECONCILE_PAGES = 5
UNFURL_NOTHING = {"unfurl_links": False, "unfurl_media": False}
LEASE = timedelta(seconds=15)
LOOKUPS = Pace(per_channel=0.0, per_second=50 / 60, window=60)  # conversations.history: Tier 3, ~50 a minute
MAX_BATCH = 1000
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
        self.leases = Leases(herald.engine, herald.settings.instance_id, lease)
        self.stopping = False

    async def run_forever(self, *, idle: float = 1.0) -> None:
        """Until `stop()`: the leases this instance held before a crash are free at once, not after they run out."""
        await self._store(self.release_own_leases)
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
        self.leases.hand_back(Delivery.leased_by == self.leases.instance)

    async def run_once(self) -> int:
        """Fan out due releases, then post, look for, or update what can be claimed now. Returns the count."""
        now = self.herald.clock()
        token, ids = await self._store(self._claim, now)
        if not ids:
            return 0
        heartbeat = asyncio.create_task(self._renew(token))
        try:
            claimed = await self._store(self.leases.prepare, self.herald.renderer, ids)
            semaphore = asyncio.Semaphore(self.concurrency)

            async def one(row: Claimed) -> None:
                async with semaphore:
                    problem = row.problem
                    if problem is None:
                        try:
                            await self._deliver(row, token)
                        except Exception as error:  # one broken delivery (the store, a bug) never stops the rest
                            log.exception("delivery %s failed", row.delivery.id)
                            problem = repr(error)
                    if problem is not None and row.delivery.attempts >= self.max_attempts:
                        await self._give_up(row, token, problem)
                    elif problem is not None:
                        await self._store(self.leases.broken, row.delivery.id, token, self.herald.clock(),
                                          reason=problem)

            await asyncio.gather(*(one(row) for row in claimed))
        finally:
            heartbeat.cancel()
            await self._store(self.leases.hand_back, Delivery.lease_token == token)
        return len(ids)

    def _claim(self, now: datetime) -> tuple[str, list[int]]:
        with session_scope(self.herald.engine) as session:
            for release in releases.due_releases(session, now=now):
                releases.fan_out(session, release)
        self.leases.hand_back((Delivery.state == DeliveryState.SENDING) & free_at(now))  # a dead worker's rows
        return self.leases.claim(now, sends=self.batch(), looks=LOOKS_PER_ROUND)

    def batch(self) -> int:
        """As many as can be sent within one lease at the rate Slack takes now: the rest stays for other replicas."""
        return max(self.concurrency, min(MAX_BATCH, int(self.pacer.rate * self.lease.total_seconds())))

    async def _renew(self, token: str) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self._store(self.leases.renew, token, self.herald.clock())
            except Exception:
                log.exception("could not renew the outbox lease; its rows are fenced if another worker takes them")

    async def _deliver(self, row: Claimed, token: str) -> None:
        if self.stopping:
            return  # handed back with the round's lease
        if row.delivery.state == DeliveryState.SENT:
            await self._update(row, token)
            return
        if row.delivery.state == DeliveryState.UNCERTAIN and not await self._look_first(row, token):
            return
        await self._post(row, token)

    async def _look_first(self, row: Claimed, token: str) -> bool:
        """Whether to post: only when the channel shows no earlier post of this delivery."""
        delivery = row.delivery
        try:
            async with self.lookups.slot(delivery.channel_id):
                found = await self.messenger.find_posted(delivery.channel_id, event_type=METADATA_EVENT,
                                                         key="delivery_id", value=delivery.id, pages=RECONCILE_PAGES)
        except SlackRefused as refused:
            await self._look_refused(row, token, refused)
            return False
        except SlackUncertain as error:
            await self._later(delivery, token, f"looking: {error}", self.settle)
            return False
        if found is not None:
            await self._move(delivery.id, token, state=DeliveryState.SENT, message_ts=found.ts, attempt_at=None,
                             shown_revision=found.payload.get("revision", 0), last_error=None)
            return False
        if row.release.withdrawn:
            await self._move(delivery.id, token, state=DeliveryState.CANCELLED,
                             last_error="withdrawn before it was shown")
            return False
        return await self._move(delivery.id, token, keep_lease=True, state=DeliveryState.SENDING, attempt_at=None)

    async def _post(self, row: Claimed, token: str) -> None:
        delivery, release = row.delivery, row.release
        metadata = {"event_type": METADATA_EVENT,
                    "event_payload": {"delivery_id": delivery.id, "release_id": release.id,
                                      "revision": release.revision}}
        started = self.herald.clock()
        if self.stopping:
            return  # handed back with the round's lease
        try:
            async with self.pacer.slot(delivery.channel_id):
                if self.stopping or not await self._store(self.leases.start_post, delivery.id, token, started,
                                                          self.settle):
                    return  # shutting down, withdrawn, or the lease went to another worker
                ts = await self.messenger.post(delivery.channel_id, {**UNFURL_NOTHING, **row.message},
                                               metadata=metadata)
        except SlackRefused as refused:
            await self._post_refused(row, token, refused, started)
            return
        except SlackUncertain as error:
            await self._maybe_posted(delivery, token, f"connection: {error}", started)
            return
        if not await self._move(delivery.id, token, state=DeliveryState.SENT, message_ts=ts, attempt_at=None,
                                shown_revision=release.revision, last_error=None):
            log.warning("announcement %s posted after its lease was taken over; the new holder finds it", delivery.id)

    async def _update(self, row: Claimed, token: str) -> None:
        """Bring a posted announcement up to the release's latest edit (or mark it withdrawn)."""
        delivery = row.delivery
        try:
            async with self.pacer.slot(delivery.channel_id):
                await self.messenger.update(delivery.channel_id, delivery.message_ts, row.message)
        except SlackRefused as refused:
            if refused.rate_limited or refused.server_error:
                await self._later(delivery, token, refused.reason, _retry_after(refused, delivery))
                return
            log.warning("announcement %s in %s cannot be updated: %s", delivery.id, delivery.channel_id,
                        refused.reason)
        except SlackUncertain as error:
            await self._later(delivery, token, f"connection: {error}", self.settle)
            return
        await self._move(delivery.id, token, shown_revision=row.release.revision)

    async def _maybe_posted(self, delivery: Delivery, token: str, reason: str, started: datetime) -> None:
        """A post with no answer, or a 5xx: looked for once it can no longer be on its way (and backing off)."""
        look_at = max(started + self.settle, self.herald.clock() + backoff(delivery.attempts))
        await self._move(delivery.id, token, state=DeliveryState.UNCERTAIN, last_error=reason[:500],
                         next_attempt_at=look_at)

    async def _post_refused(self, row: Claimed, token: str, refused: SlackRefused, started: datetime) -> None:
        delivery = row.delivery
        if refused.channel_gone:
            await self._channel_gone(delivery, token, refused.reason)
        elif refused.rate_limited:  # nothing was posted, and a 429 is no failure: back after Retry-After
            await self._later(delivery, token, refused.reason, _retry_after(refused, delivery),
                              state=DeliveryState.PENDING, attempts=max(0, delivery.attempts - 1))
        elif refused.server_error:  # Slack may have posted it anyway
            await self._maybe_posted(delivery, token, refused.reason, started)
        elif delivery.attempts >= self.max_attempts:
            await self._give_up(row, token, refused.reason)
        else:
            await self._later(delivery, token, refused.reason, backoff(delivery.attempts), state=DeliveryState.PENDING)

    async def _look_refused(self, row: Claimed, token: str, refused: SlackRefused) -> None:
        """A look that failed proves nothing: the row stays uncertain, to be looked at again, never posted blind."""
        delivery = row.delivery
        if refused.channel_gone:
            await self._channel_gone(delivery, token, refused.reason)
        elif refused.rate_limited or refused.server_error or delivery.attempts < self.max_attempts:
            await self._later(delivery, token, f"looking: {refused.reason}", _retry_after(refused, delivery),
                              attempts=delivery.attempts - int(refused.rate_limited))
        else:
            await self._give_up(row, token, f"could not check whether it was posted: {refused.reason}")

    async def _channel_gone(self, delivery: Delivery, token: str, reason: str) -> None:
        if not await self._move(delivery.id, token, state=DeliveryState.FAILED, last_error=reason):
            return
        if delivery.subscription_id is None:
            return
        subscription = await self._store(self._deactivate, delivery.subscription_id)
        if subscription:
            await self._tell(subscription.created_by, "releases/subscription_stopped.json.j2",
                             subscription=subscription, reason=reason)

    def _deactivate(self, subscription_id: int):
        with session_scope(self.herald.engine) as session:
            return releases.deactivate(session, subscription_id)

    async def _give_up(self, row: Claimed, token: str, reason: str) -> None:
        if not await self._move(row.delivery.id, token, state=DeliveryState.FAILED, last_error=reason[:500]):
            return
        release = row.release
        owner = release.created_by or (await self._store(self._who_to_ask, release.component)).user_id
        await self._tell(owner, "releases/delivery_failed.json.j2", release=release,
                         channel_id=row.delivery.channel_id, reason=reason)

    def _who_to_ask(self, component: str):
        with session_scope(self.herald.engine) as session:
            return who_to_ask(session, component)

    async def _later(self, delivery: Delivery, token: str, reason: str, wait: timedelta, **values: Any) -> bool:
        return await self._move(delivery.id, token, last_error=reason[:500],
                                next_attempt_at=self.herald.clock() + wait, **values)

    async def _move(self, delivery_id: int, token: str, **values: Any) -> bool:
        return await self._store(self.leases.move, delivery_id, token, self.herald.clock(), **values)

    async def _store(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The store is reached from a thread: the event loop answering Slack never waits on it."""
        return await asyncio.to_thread(call, *args, **kwargs)

    async def _tell(self, user_id: str | None, template: str, **context: Any) -> None:
        if not is_user_id(user_id):
            return  # a CLI user or a GitHub login, not someone Slack can reach
        try:
            await self.messenger.post(user_id, self.herald.renderer.message(template, **context))
        except (SlackRefused, SlackUncertain) as error:
            log.warning("could not tell %s about a delivery problem: %s", user_id, error)


def _retry_after(refused: SlackRefused, delivery: Delivery) -> timedelta:
    if refused.retry_after is not None:
        return timedelta(seconds=refused.retry_after)
    return timedelta(seconds=1) if refused.rate_limited else backoff(delivery.attempts)
