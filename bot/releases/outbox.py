"""The outbox worker: sends every release announcement exactly once, whatever Slack or a crash does.

Each delivery is claimed with a lease by a conditional update, so replicas never send the same
one. A post whose outcome is unknown (the connection dropped, the process died) leaves the row
`sending`; whoever claims it next looks for its metadata in the channel before posting again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import Messenger, SlackRefused, SlackUncertain
from bot.core.slack_ids import is_user_id
from bot.releases import recording as releases
from bot.releases.announcement import announcement, who_to_ask
from bot.releases.models import Delivery, DeliveryState, Release
from bot.releases.pacing import Pace, Pacer

log = logging.getLogger(__name__)

METADATA_EVENT = "herald_release_announcement"
CHANNEL_GONE = {"channel_not_found", "is_archived", "method_not_supported_for_channel_type", "not_in_channel"}
RECONCILE_PAGES = 5
UNFURL_NOTHING = {"unfurl_links": False, "unfurl_media": False}


class DeliveryWorker:
    def __init__(
        self,
        herald: Herald,
        messenger: Messenger,
        *,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 20,
        max_attempts: int = 5,
        pace: Pace = Pace(),
    ) -> None:
        self.herald = herald
        self.lease = lease
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.pace = pace
        self.messenger = messenger  # its client must not retry dropped connections: a blind re-post could post twice
        self.pacer = Pacer(pace)

    async def run_forever(self, *, idle: float = 1.0) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("delivery round failed; trying again")
                busy = 0
            if not busy:
                await asyncio.sleep(idle)

    async def run_once(self) -> int:
        """Fan out due releases, then send, reconcile or update what can be claimed now. Returns the count."""
        now = self.herald.clock()
        with session_scope(self.herald.engine) as session:
            for release in releases.due_releases(session, now=now):
                releases.fan_out(session, release)
        claimed = self._claim(now)
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(delivery_id: int, was_sending: bool) -> None:
            async with semaphore:
                await self._deliver(delivery_id, was_sending)

        await asyncio.gather(*(one(d, s) for d, s in claimed))
        return len(claimed)

    def _claim(self, now: datetime) -> list[tuple[int, bool]]:
        """Take leases on due deliveries: pending ones, expired `sending` ones, and sent ones behind an edit."""
        lease_until = now + self.lease
        free = or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now)
        behind = (Delivery.state == DeliveryState.SENT) & (col(Delivery.shown_revision) < Release.revision)
        due = (Delivery.state == DeliveryState.PENDING) | (Delivery.state == DeliveryState.SENDING) | behind
        with session_scope(self.herald.engine) as session:
            candidates = session.exec(
                select(Delivery.id, Delivery.state).join(Release, Release.id == Delivery.release_id)
                .where(due, free, col(Delivery.next_attempt_at) <= now).order_by(Delivery.id)
                .limit(self.concurrency * 5)
            ).all()
            claimed = []
            for delivery_id, state in candidates:
                taken = session.exec(
                    update(Delivery).where(Delivery.id == delivery_id, Delivery.state == state, free)
                    .values(lease_until=lease_until, attempts=Delivery.attempts + int(state != DeliveryState.SENT),
                            state=DeliveryState.SENDING if state == DeliveryState.PENDING else state)
                ).rowcount
                if taken:
                    claimed.append((delivery_id, state == DeliveryState.SENDING))
        return claimed

    async def _deliver(self, delivery_id: int, was_sending: bool) -> None:
        with session_scope(self.herald.engine) as session:
            delivery = session.get_one(Delivery, delivery_id)
            release = session.get_one(Release, delivery.release_id)
            message = announcement(session, self.herald.renderer, release, channel_id=delivery.channel_id,
                                   subscription_id=delivery.subscription_id)
        if delivery.state == DeliveryState.SENT:
            await self._update(delivery, release, message)
            return
        try:
            ts = await self._find_posted(delivery) if was_sending else None
            if ts is None:
                ts = await self._post(delivery, release, message)
            self._record(delivery_id, state=DeliveryState.SENT, message_ts=ts, shown_revision=release.revision,
                         last_error=None)
        except SlackRefused as refused:
            await self._slack_refused(delivery, release, refused)
        except SlackUncertain as error:
            # The post may or may not have landed: stay `sending`, so the next try looks before posting.
            self._retry_later(delivery, f"connection: {error}")

    async def _update(self, delivery: Delivery, release: Release, message: dict) -> None:
        """Bring a posted announcement up to the release's latest edit (or mark it withdrawn)."""
        try:
            async with self.pacer.slot(delivery.channel_id):
                await self.messenger.update(delivery.channel_id, delivery.message_ts, message)
        except SlackRefused as refused:
            if refused.rate_limited or refused.server_error:
                self._retry_later(delivery, refused.reason)
                return
            log.warning("announcement %s in %s cannot be updated: %s", delivery.id, delivery.channel_id,
                        refused.reason)
        except SlackUncertain as error:
            self._retry_later(delivery, f"connection: {error}")
            return
        self._record(delivery.id, shown_revision=release.revision)

    async def _post(self, delivery: Delivery, release: Release, message: dict) -> str:
        metadata = {"event_type": METADATA_EVENT,
                    "event_payload": {"delivery_id": delivery.id, "release_id": release.id}}
        async with self.pacer.slot(delivery.channel_id):
            return await self.messenger.post(delivery.channel_id, {**UNFURL_NOTHING, **message}, metadata=metadata)

    async def _find_posted(self, delivery: Delivery) -> str | None:
        """The ts of this delivery's message if an earlier attempt posted it, found by its metadata."""
        return await self.messenger.find_posted(delivery.channel_id, event_type=METADATA_EVENT, key="delivery_id",
                                                value=delivery.id, pages=RECONCILE_PAGES)

    async def _slack_refused(self, delivery: Delivery, release: Release, refused: SlackRefused) -> None:
        reason = refused.reason
        if reason in CHANNEL_GONE and delivery.subscription_id:
            self._record(delivery.id, state=DeliveryState.FAILED, last_error=reason)
            with session_scope(self.herald.engine) as session:
                subscription = releases.deactivate(session, delivery.subscription_id)
            if subscription:
                await self._tell(subscription.created_by, "releases/subscription_stopped.json.j2",
                                 subscription=subscription, reason=reason)
            return
        if refused.rate_limited:
            # Nothing was posted: back in the queue after Retry-After, and not counted as a failure.
            wait = 1.0 if refused.retry_after is None else refused.retry_after
            self._record(delivery.id, state=DeliveryState.PENDING, attempts=max(0, delivery.attempts - 1),
                         last_error=reason, next_attempt_at=self.herald.clock() + timedelta(seconds=wait))
            return
        if refused.server_error:
            self._retry_later(delivery, reason)  # it may have been posted: stay `sending`, look first
            return
        self._retry_later(delivery, reason, state=DeliveryState.PENDING)
        if delivery.attempts >= self.max_attempts:
            self._record(delivery.id, state=DeliveryState.FAILED, last_error=reason)
            with session_scope(self.herald.engine) as session:
                owner = release.created_by or who_to_ask(session, release.component).user_id
            await self._tell(owner, "releases/delivery_failed.json.j2", release=release,
                             channel_id=delivery.channel_id, reason=reason)

    def _retry_later(self, delivery: Delivery, reason: str, *, state: DeliveryState | None = None) -> None:
        backoff = timedelta(seconds=min(300, 2 ** delivery.attempts))
        self._record(delivery.id, state=state or delivery.state, last_error=reason[:500],
                     next_attempt_at=self.herald.clock() + backoff, lease_until=None)

    def _record(self, delivery_id: int, **values) -> None:
        values.setdefault("lease_until", None)
        with session_scope(self.herald.engine) as session:
            session.exec(update(Delivery).where(Delivery.id == delivery_id).values(**values))

    async def _tell(self, user_id: str | None, template: str, **context) -> None:
        if not is_user_id(user_id):
            return  # a CLI user or a GitHub login, not someone Slack can reach
        try:
            await self.messenger.post(user_id, self.herald.renderer.message(template, **context))
        except (SlackRefused, SlackUncertain) as error:
            log.warning("could not tell %s about a delivery problem: %s", user_id, error)
