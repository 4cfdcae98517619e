"""The outbox worker: sends every release announcement exactly once, whatever Slack or a crash does.

Each delivery is claimed with a lease by a conditional update, so replicas never send the same
one. A post whose outcome is unknown (the connection dropped, the process died) leaves the row
`sending`; whoever claims it next looks for its metadata in the channel before posting again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import or_, update
from sqlmodel import col, select

from bot import releases
from bot.announcements import announcement, who_to_ask
from bot.db import session_scope
from bot.models import Delivery, DeliveryState, Release
from bot.pacing import Pace, Pacer
from bot.slack_people import USER_ID

if TYPE_CHECKING:
    from bot.app import Herald

log = logging.getLogger(__name__)

METADATA_EVENT = "herald_release_announcement"
CHANNEL_GONE = {"channel_not_found", "is_archived", "method_not_supported_for_channel_type", "not_in_channel"}
RECONCILE_PAGES = 5
UNCERTAIN = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


class DeliveryWorker:
    def __init__(
        self,
        herald: Herald,
        client: AsyncWebClient,
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
        self.client = client  # without connection-error retries: a blind re-post could post twice
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
            message = announcement(session, self.herald.renderer, delivery, release)
        if delivery.state == DeliveryState.SENT:
            await self._update(delivery, release, message)
            return
        try:
            ts = await self._find_posted(delivery) if was_sending else None
            if ts is None:
                ts = await self._post(delivery, release, message)
            self._record(delivery_id, state=DeliveryState.SENT, message_ts=ts, shown_revision=release.revision,
                         last_error=None)
        except SlackApiError as error:
            await self._slack_refused(delivery, release, error)
        except UNCERTAIN as error:
            # The post may or may not have landed: stay `sending`, so the next try looks before posting.
            self._retry_later(delivery, f"connection: {error!r}")

    async def _update(self, delivery: Delivery, release: Release, message: dict) -> None:
        """Bring a posted announcement up to the release's latest edit (or mark it withdrawn)."""
        try:
            async with self.pacer.slot(delivery.channel_id):
                await self.client.chat_update(channel=delivery.channel_id, ts=delivery.message_ts, **message)
        except SlackApiError as error:
            reason = error.response.get("error", "unknown_error")
            if reason == "ratelimited" or (error.response.status_code or 0) >= 500:
                self._retry_later(delivery, reason)
                return
            log.warning("announcement %s in %s cannot be updated: %s", delivery.id, delivery.channel_id, reason)
        except UNCERTAIN as error:
            self._retry_later(delivery, f"connection: {error!r}")
            return
        self._record(delivery.id, shown_revision=release.revision)

    async def _post(self, delivery: Delivery, release: Release, message: dict) -> str:
        post = dict(channel=delivery.channel_id, unfurl_links=False, unfurl_media=False,
                    metadata={"event_type": METADATA_EVENT,
                              "event_payload": {"delivery_id": delivery.id, "release_id": release.id}},
                    **message)
        try:
            async with self.pacer.slot(delivery.channel_id):
                response = await self.client.chat_postMessage(**post)
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel":
                raise
            await self.client.conversations_join(channel=delivery.channel_id)  # public channels only
            async with self.pacer.slot(delivery.channel_id):
                response = await self.client.chat_postMessage(**post)
        return response["ts"]

    async def _find_posted(self, delivery: Delivery) -> str | None:
        """The ts of this delivery's message if an earlier attempt posted it, found by its metadata.

        Looks through the channel's newest messages (up to RECONCILE_PAGES pages): a lost answer is
        reconciled within minutes, long before a thousand other messages bury it.
        """
        try:
            pages = await self._history(delivery.channel_id)
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel":
                raise
            # Posting through chat:write.public needs no membership; reading history does.
            await self.client.conversations_join(channel=delivery.channel_id)
            pages = await self._history(delivery.channel_id)
        seen = 0
        async for page in pages:
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT and payload.get("delivery_id") == delivery.id:
                    return message["ts"]
            seen += 1
            if seen >= RECONCILE_PAGES:
                break
        return None

    async def _history(self, channel_id: str):
        return await self.client.conversations_history(channel=channel_id, include_all_metadata=True, limit=200)

    async def _slack_refused(self, delivery: Delivery, release: Release, error: SlackApiError) -> None:
        reason = error.response.get("error", "unknown_error")
        if reason in CHANNEL_GONE and delivery.subscription_id:
            self._record(delivery.id, state=DeliveryState.FAILED, last_error=reason)
            with session_scope(self.herald.engine) as session:
                subscription = releases.deactivate(session, delivery.subscription_id)
            if subscription:
                await self._tell(subscription.created_by, "subscription_stopped.json.j2",
                                 subscription=subscription, reason=reason)
            return
        if reason == "ratelimited":
            # Nothing was posted: back in the queue after Retry-After, and not counted as a failure.
            wait = int(error.response.headers.get("Retry-After", 1) or 1)
            self._record(delivery.id, state=DeliveryState.PENDING, attempts=max(0, delivery.attempts - 1),
                         last_error=reason, next_attempt_at=self.herald.clock() + timedelta(seconds=wait))
            return
        if (error.response.status_code or 0) >= 500:
            self._retry_later(delivery, reason)  # it may have been posted: stay `sending`, look first
            return
        self._retry_later(delivery, reason, state=DeliveryState.PENDING)
        if delivery.attempts >= self.max_attempts:
            self._record(delivery.id, state=DeliveryState.FAILED, last_error=reason)
            with session_scope(self.herald.engine) as session:
                owner = release.created_by or who_to_ask(session, release.component).user_id
            await self._tell(owner, "delivery_failed.json.j2", release=release,
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
        if not user_id or not USER_ID.fullmatch(user_id):
            return  # a CLI user or a GitHub login, not someone Slack can reach
        try:
            await self.client.chat_postMessage(channel=user_id, **self.herald.renderer.message(template, **context))
        except SlackApiError as error:
            log.warning("could not tell %s about a delivery problem: %s", user_id, error.response.get("error"))
