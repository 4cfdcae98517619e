"""The outbox table's fenced transitions: claims under a lease token, and every later change checked against it.

Each function is one short transaction the delivery worker runs in a thread, so the event loop that
answers Slack never waits on the store. See the README's "How announcements are delivered" for the states.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, or_, update
from sqlmodel import col, select

from bot.core.db import session_scope
from bot.core.render import Message, Renderer
from bot.releases.announcement import WhoToAsk, announcement, who_to_ask
from bot.releases.models import Delivery, DeliveryState, Release, Subscription

log = logging.getLogger(__name__)

PER_CHANNEL = 2  # rows of one channel claimed in one round
FREE: dict[str, Any] = {"lease_until": None, "lease_token": None, "leased_by": None}


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds, as it was when claimed, with the message its channel gets."""

    delivery: Delivery
    release: Release
    message: Message
    problem: str | None = None  # why its message could not be made (a broken template override)


@dataclass(frozen=True)
class Leases:
    engine: Engine
    instance: str  # names this process's leases
    lease: timedelta

    def claim(self, now: datetime, *, sends: int, looks: int) -> tuple[str, list[int]]:
        """Lease due deliveries under one new token: pending, sent ones behind an edit, and `looks` uncertain ones.

        The update repeats the select's conditions, so of two replicas claiming at once each row goes to one.
        Rows of withdrawn releases that a withdraw could not cancel while they were held are cancelled first.
        """
        revision = select(Release.revision).where(Release.id == Delivery.release_id).scalar_subquery()
        behind = (Delivery.state == DeliveryState.SENT) & (col(Delivery.shown_revision) < revision)
        ready = free_at(now) & (col(Delivery.next_attempt_at) <= now)
        to_send = ready & ((Delivery.state == DeliveryState.PENDING) | behind)
        to_look = ready & (Delivery.state == DeliveryState.UNCERTAIN)
        token = uuid.uuid4().hex
        with session_scope(self.engine) as session:
            session.exec(update(Delivery).where(
                Delivery.state == DeliveryState.PENDING,
                col(Delivery.release_id).in_(select(Release.id).where(col(Release.withdrawn))),
            ).values(state=DeliveryState.CANCELLED, last_error="withdrawn before it was shown"))
            ids = [*_spread(session.exec(select(Delivery.id, Delivery.channel_id).where(to_send)
                                         .order_by(Delivery.id).limit(sends * 2)).all(), sends),
                   *session.exec(select(Delivery.id).where(to_look).order_by(Delivery.next_attempt_at)
                                 .limit(looks)).all()]
            if not ids:
                return token, []
            session.exec(update(Delivery).where(col(Delivery.id).in_(ids), to_send | to_look).values(
                lease_until=now + self.lease, lease_token=token, leased_by=self.instance,
                attempts=Delivery.attempts + case((Delivery.state == DeliveryState.SENT, 0), else_=1),
                state=case((Delivery.state == DeliveryState.PENDING, DeliveryState.SENDING), else_=Delivery.state),
            ))
            claimed = session.exec(select(Delivery.id).where(Delivery.lease_token == token)
                                   .order_by(Delivery.id)).all()
        return token, list(claimed)

    def prepare(self, renderer: Renderer, ids: list[int]) -> list[Claimed]:
        """The claimed rows with their releases and rendered messages, in a handful of statements."""
        with session_scope(self.engine) as session:
            deliveries = session.exec(select(Delivery).where(col(Delivery.id).in_(ids)).order_by(Delivery.id)).all()
            found = {d.release_id for d in deliveries}
            releases = {r.id: r for r in session.exec(select(Release).where(col(Release.id).in_(found))).all()}
            subscription_ids = {d.subscription_id for d in deliveries if d.subscription_id}
            session.exec(select(Subscription).where(col(Subscription.id).in_(subscription_ids))).all()  # cached
            asks: dict[str, WhoToAsk] = {}
            claimed = []
            for delivery in deliveries:
                release = releases[delivery.release_id]
                if release.component not in asks:
                    asks[release.component] = who_to_ask(session, release.component)
                try:
                    message = announcement(session, renderer, release, channel_id=delivery.channel_id,
                                           subscription_id=delivery.subscription_id, ask=asks[release.component])
                except Exception as error:  # one broken message never stops the others
                    log.exception("the announcement of delivery %s cannot be made", delivery.id)
                    claimed.append(Claimed(delivery, release, {}, problem=repr(error)))
                    continue
                claimed.append(Claimed(delivery, release, message))
        return claimed

    def renew(self, token: str, now: datetime) -> None:
        """The heartbeat: the round's lease does not run out while its posts are in flight."""
        with session_scope(self.engine) as session:
            session.exec(update(Delivery).where(Delivery.lease_token == token).values(lease_until=now + self.lease))

    def start_post(self, delivery_id: int, token: str, now: datetime, settle: timedelta) -> bool:
        """The last fenced step before Slack: still ours, still not posted, its release not withdrawn.

        Should this process die now, whoever takes the row over looks for the post once it has settled.
        """
        with session_scope(self.engine) as session:
            return bool(session.exec(update(Delivery).where(
                Delivery.id == delivery_id, Delivery.lease_token == token, Delivery.state == DeliveryState.SENDING,
                col(Delivery.attempt_at).is_(None),
                col(Delivery.release_id).in_(select(Release.id).where(col(Release.withdrawn).is_(False))),
            ).values(attempt_at=now, next_attempt_at=now + settle)).rowcount)

    def move(self, delivery_id: int, token: str, now: datetime, *, keep_lease: bool = False, **values: Any) -> bool:
        """One fenced transition: it happens only while the lease `token` names still holds the row."""
        if values.get("state") in (DeliveryState.PENDING, DeliveryState.CANCELLED):
            values.setdefault("attempt_at", None)
        if values.get("state") == DeliveryState.SENT:  # an edit may follow at once
            values.setdefault("next_attempt_at", now)
        if not keep_lease:
            values.update(FREE)
        with session_scope(self.engine) as session:
            return bool(session.exec(update(Delivery).where(Delivery.id == delivery_id, Delivery.lease_token == token)
                                     .values(**values)).rowcount)

    def hand_back(self, held: ColumnElement[bool]) -> None:
        """Free the rows `held` selects: a claimed row is pending again, or uncertain if its post was sent."""
        sending = held & (Delivery.state == DeliveryState.SENDING)
        with session_scope(self.engine) as session:
            session.exec(update(Delivery).where(sending, col(Delivery.attempt_at).is_not(None))
                         .values(state=DeliveryState.UNCERTAIN, **FREE))
            session.exec(update(Delivery).where(sending, col(Delivery.attempt_at).is_(None))
                         .values(state=DeliveryState.PENDING, **FREE))
            session.exec(update(Delivery).where(held).values(**FREE))

    def broken(self, delivery_id: int, token: str, now: datetime, *, reason: str) -> None:
        """Hand a row whose handling raised back (uncertain if it was posted), to be tried again after a back-off."""
        mine = (Delivery.id == delivery_id) & (Delivery.lease_token == token)
        with session_scope(self.engine) as session:
            attempts = session.exec(select(Delivery.attempts).where(mine)).first()
            if attempts is None:
                return  # no longer ours
            session.exec(update(Delivery).where(mine).values(last_error=reason[:500],
                                                              next_attempt_at=now + backoff(attempts)))
        self.hand_back(mine)


def _spread(rows: list[tuple[int, str]], limit: int) -> list[int]:
    """At most PER_CHANNEL of one channel's rows in a round: a channel posts once a second, and a round lasts
    until its last row is done, so a backlog in one channel must not hold up every other channel."""
    taken: dict[str, int] = {}
    ids = []
    for delivery_id, channel_id in rows:
        if taken.get(channel_id, 0) < PER_CHANNEL:
            taken[channel_id] = taken.get(channel_id, 0) + 1
            ids.append(delivery_id)
    return ids[:limit]


def free_at(now: datetime) -> ColumnElement[bool]:
    return or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** attempts))
