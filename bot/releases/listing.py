"""Recent releases and where each was delivered: what `/launch releases` lists, in a fixed number of statements."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.matching import either
from bot.releases.models import Delivery, DeliveryState, Release
from bot.releases.names import UnclearName, resolve_component

RECENT = 10
# The order a release's channels are listed in: what needs someone's attention first, delivered last.
ATTENTION = (DeliveryState.FAILED, DeliveryState.UNCERTAIN, DeliveryState.SENDING, DeliveryState.PENDING,
             DeliveryState.CANCELLED, DeliveryState.SENT)


@dataclass(frozen=True)
class ChannelDelivery:
    channel_id: str
    state: DeliveryState
    reason: str | None  # why it failed, was cancelled, or is being retried


@dataclass(frozen=True)
class ReleaseDeliveries:
    """One release as the list shows it: what, when, who, and each channel's delivery."""

    name: str
    version: str
    title: str | None
    announce_at: datetime
    scheduled: bool  # not announced yet: its time is still to come
    recorded_by: str  # a Slack user ID, a GitHub login, or the surface (cli, webhook)
    prerelease: bool
    withdrawn: bool
    channels: list[ChannelDelivery]  # failures first, then in flight, then sent

    @property
    def sent(self) -> int:
        return sum(channel.state == DeliveryState.SENT for channel in self.channels)

    @property
    def tally(self) -> list[tuple[DeliveryState, int]]:
        """How many channels are in each state, in the order the channels are listed."""
        counts = Counter(channel.state for channel in self.channels)
        return [(state, counts[state]) for state in ATTENTION if counts[state]]


def recent_releases(session: Session, *, component: str | None, now: datetime,
                    limit: int = RECENT) -> list[ReleaseDeliveries]:
    """The newest releases (of one component, named as releases are named), each with its deliveries.

    Two statements whatever the number of releases and channels: the releases, then all their deliveries
    (and, given a component, the few that resolve its name).
    """
    query = select(Release).order_by(col(Release.announce_at).desc(), col(Release.id).desc()).limit(limit)
    if component is not None:
        query = query.where(Release.component == _component_key(session, component))
    releases = session.exec(query).all()
    if component is not None and not releases:
        raise InvalidInput(f"There are no releases of “{component.strip()}” yet.")
    deliveries = session.exec(
        select(Delivery.release_id, Delivery.channel_id, Delivery.state, Delivery.last_error)
        .where(col(Delivery.release_id).in_([release.id for release in releases]))
    ).all()
    by_release: dict[int, list[ChannelDelivery]] = {}
    for release_id, channel_id, state, last_error in deliveries:
        by_release.setdefault(release_id, []).append(ChannelDelivery(channel_id, DeliveryState(state), last_error))
    return [_listed(release, by_release.get(release.id, []), now) for release in releases]


def releases_here(herald: Herald, *, component: str | None) -> list[ReleaseDeliveries]:
    with session_scope(herald.engine) as session:
        return recent_releases(session, component=component, now=herald.clock())


def _listed(release: Release, channels: list[ChannelDelivery], now: datetime) -> ReleaseDeliveries:
    channels.sort(key=lambda channel: (ATTENTION.index(channel.state), channel.channel_id))
    return ReleaseDeliveries(
        name=release.component_name, version=release.version, title=release.title,
        announce_at=release.announce_at, scheduled=release.announce_at > now and not release.fanned_out,
        recorded_by=release.created_by or release.source, prerelease=release.prerelease,
        withdrawn=release.withdrawn, channels=channels,
    )


def _component_key(session: Session, typed: str) -> str:
    """The key a component's releases are recorded under: by its name, key or alias; a typo is asked about."""
    try:
        return resolve_component(session, typed).key
    except UnclearName as unclear:
        names = either(candidate.name for candidate in unclear.candidates)
        raise InvalidInput(f"There are no releases of “{unclear.typed}”. Did you mean {names}?") from None
