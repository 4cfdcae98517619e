"""Releases and who gets them: recording, editing, withdrawing, subscriptions and the fan-out to an outbox.

No Slack here: the delivery worker sends what this module puts in the outbox.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.core.errors import InvalidInput
from bot.core.matching import Named, either, find_name, slugify
from bot.core.models import utcnow
from bot.core.roles import Roles
from bot.directory.models import Component
from bot.launches.models import Launch
from bot.releases.history import record_change
from bot.releases.models import LAUNCH_SOURCE, Delivery, DeliveryState, Release, Subscription
from bot.releases.names import TAG_PREFIX, resolve_component, resolve_tag

ALL = "all"
SUBSCRIBE_USAGE = ("Say which releases: `/launch subscribe releases <component|tag:…|all> [--prereleases]` "
                   "(`all` for every release).")
MAX_NOTES = 40_000
URL = re.compile(r"https?://[^\s<>|]+")


@dataclass
class ReleaseInput:
    """A release as any surface (Slack, CLI, webhooks, a launch going live) describes it."""

    component: str
    version: str
    source: str
    title: str | None = None
    notes: str = ""
    link: str | None = None
    tags: list[str] = field(default_factory=list)
    prerelease: bool = False
    announce_at: datetime | None = None
    external_id: str | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class Target:
    """What a subscription asks for, as the channel typed it."""

    value: str  # component key, "tag:x" or "all"
    known: bool = field(default=True, compare=False)  # False: a name nothing has been recorded under yet

    @property
    def label(self) -> str:
        if self.value == ALL:
            return "all releases"
        if self.value.startswith(TAG_PREFIX):
            return f"releases tagged {self.value.removeprefix(TAG_PREFIX)}"
        return f"{self.value} releases"


def record_release(session: Session, data: ReleaseInput, *, now: datetime) -> Release:
    """Store a release once (a repeated external id or component+version edits it) and fan it out when due."""
    return record_release_once(session, data, now=now)[0]


def record_release_once(session: Session, data: ReleaseInput, *, now: datetime) -> tuple[Release, bool]:
    """Store a release, or edit the one holding its key; True when this call stored it.

    The insert cannot double: sent the same webhook at the same moment, one replica inserts; the other waits
    on the unique release key, inserts nothing, and edits the release the first one stored (changing nothing).
    """
    validate(data)
    while (existing := find_release(session, data)) is None:
        key = slugify(data.component)
        release = _insert_unless_held(session, {
            "component": key,
            "component_name": _display_name(session, key, data.component),
            "version": data.version.strip(),
            "title": data.title,
            "notes": data.notes,
            "link": data.link,
            "tags": sorted({slugify(tag) for tag in data.tags if slugify(tag)}),
            "prerelease": data.prerelease,
            "announce_at": data.announce_at or now,
            "source": data.source,
            "external_id": data.external_id or None,
            "created_by": data.created_by,
            "release_key": release_key(data),
        })
        if release is not None:
            if release.announce_at <= now:
                fan_out(session, release)
            return release, True
        # Another replica stored it a moment ago; read it (and, were it withdrawn since, try again).
    return edit_release(session, existing, data, now=now), False


def _insert_unless_held(session: Session, values: dict[str, object]) -> Release | None:
    """INSERT … ON CONFLICT DO NOTHING on the release key: the new release, or None if the key is held."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Release).values(values).on_conflict_do_nothing(
        index_elements=[Release.release_key], index_where=text(Release.HOLDS_ITS_KEY))
    return session.scalars(statement.returning(Release)).first()


def announce_launch(session: Session, launch: Launch, *, now: datetime) -> Release:
    """A launch that goes live is a release of its own; announced once however often it is set live."""
    return record_release(session, ReleaseInput(
        component=launch.key, version=now.date().isoformat(), source=LAUNCH_SOURCE, title=f"{launch.name} is live",
        external_id=f"launch:{launch.id}", created_by=launch.owner_id,
    ), now=now)


def edit_release(session: Session, release: Release, data: ReleaseInput, *, now: datetime) -> Release:
    """Change what a release says, each change in its history; posted announcements are brought up to date
    by the worker and say who edited them."""
    validate(data)
    actor = actor_of(data)
    changed = False
    for name, value in (("title", data.title), ("notes", data.notes), ("link", data.link),
                        ("prerelease", data.prerelease)):
        if getattr(release, name) != value:
            record_change(session, release, actor=actor, at=now, field=name, old=getattr(release, name), new=value)
            setattr(release, name, value)
            changed = True
    if changed:
        release.revision += 1
        release.edited_by = actor
        session.add(release)
    return release


def withdraw_release(session: Session, release: Release, *, actor: str | None = None,
                     now: datetime | None = None) -> Release:
    """Mark a release withdrawn: announcements not yet shown are cancelled, shown ones are marked withdrawn.

    A post already on its way (or one whose outcome is uncertain) cannot be taken back here: the worker
    finds it in its channel and turns it into the withdrawn notice, or cancels it if it never landed.
    """
    if not release.withdrawn:
        record_change(session, release, actor=actor, at=now or utcnow(), field="withdrawn", old=False, new=True)
        release.withdrawn = True
        release.revision += 1
        session.add(release)
        not_posted = (Delivery.state == DeliveryState.PENDING) | (
            (Delivery.state == DeliveryState.SENDING) & col(Delivery.attempt_at).is_(None))
        session.exec(update(Delivery).where(Delivery.release_id == release.id, not_posted).values(
            state=DeliveryState.CANCELLED, last_error="withdrawn before it was shown"))
    return release


def fan_out(session: Session, release: Release) -> int:
    """One outbox row per subscribed channel; the conditional update makes one replica do it once."""
    claimed = session.exec(
        update(Release).where(Release.id == release.id, col(Release.fanned_out).is_(False)).values(fanned_out=True)
    ).rowcount
    if not claimed or release.withdrawn:
        return 0
    release.fanned_out = True
    targets = [release.component, ALL, *(TAG_PREFIX + tag for tag in release.tags)]
    subscriptions = session.exec(
        select(Subscription).where(col(Subscription.active), col(Subscription.target).in_(targets))
    ).all()
    chosen: dict[str, Subscription] = {}
    for subscription in sorted(subscriptions, key=lambda s: targets.index(s.target)):
        if release.prerelease and not subscription.prereleases:
            continue
        chosen.setdefault(subscription.channel_id, subscription)
    session.add_all(
        Delivery(release_id=release.id, channel_id=channel, subscription_id=subscription.id,
                 next_attempt_at=release.announce_at)
        for channel, subscription in chosen.items()
    )
    return len(chosen)


def channels_for(session: Session, release: Release) -> list[str]:
    """The channels a release goes (or went) to."""
    return list(session.exec(select(Delivery.channel_id).where(Delivery.release_id == release.id)).all())


def delivery_counts(session: Session, release_id: int) -> dict[str, int]:
    """How many of a release's announcements are in each state."""
    rows = session.exec(select(Delivery.state, func.count()).where(Delivery.release_id == release_id)
                        .group_by(Delivery.state)).all()
    return {str(state): count for state, count in rows}


def due_releases(session: Session, *, now: datetime) -> list[Release]:
    return list(session.exec(
        select(Release).where(col(Release.fanned_out).is_(False), col(Release.announce_at) <= now)
    ).all())


def subscribe(session: Session, *, channel_id: str, spec: str, prereleases: bool, actor_id: str,
              roles: Roles = Roles(), as_typed: bool = False) -> Target:
    """A new subscription is anyone's to make; changing one that is on belongs to whoever set it up."""
    target = parse_target(session, spec, as_typed=as_typed)
    subscription = session.exec(select(Subscription).where(
        Subscription.channel_id == channel_id, Subscription.target == target.value)).first()
    if subscription is not None and subscription.active and subscription.prereleases != prereleases:
        roles.check_setter_or_admin(subscription.created_by, actor_id, f"this channel's {target.label}")
    if subscription is None:
        subscription = Subscription(channel_id=channel_id, target=target.value, created_by=actor_id)
    subscription.active, subscription.prereleases = True, prereleases
    session.add(subscription)
    session.flush()
    return target


def unsubscribe(session: Session, *, channel_id: str, spec: str, actor_id: str, roles: Roles = Roles()) -> Target:
    """Only what the channel is subscribed to can be stopped: a name like one of those is asked about."""
    spec = " ".join(spec.split())
    if not spec:
        raise InvalidInput("Say which releases to stop: `/launch unsubscribe releases <component|tag:…|all>`.")
    active = {s.target: s for s in subscriptions(session, channel_id=channel_id)}
    found = find_name(spec, [Named(value, Target(value).label) for value in active])
    if found.exact is None:
        close = f" Did you mean {either(thing.name for thing in found.close)}?" if found.close else ""
        raise InvalidInput(f"This channel is not subscribed to {Target(spec).label}.{close} "
                           "`/launch subscriptions` lists what it gets.")
    target, subscription = Target(found.exact.key), active[found.exact.key]
    roles.check_setter_or_admin(subscription.created_by, actor_id, f"this channel's {target.label}")
    subscription.active = False
    session.add(subscription)
    return target


def subscriptions(session: Session, *, channel_id: str) -> list[Subscription]:
    return list(session.exec(select(Subscription).where(
        Subscription.channel_id == channel_id, col(Subscription.active)).order_by(Subscription.target)).all())


def deactivate(session: Session, subscription_id: int) -> Subscription | None:
    subscription = session.get(Subscription, subscription_id)
    if subscription is not None:
        subscription.active = False
        session.add(subscription)
    return subscription


def parse_target(session: Session, spec: str, *, as_typed: bool = False) -> Target:
    """What a channel subscribes to, resolved against the names Herald knows; `all` only when said."""
    spec = spec.strip()
    if not spec:
        raise InvalidInput(SUBSCRIBE_USAGE)
    if spec.lower() == ALL:
        return Target(ALL)
    if spec.lower().startswith(TAG_PREFIX):
        tag = resolve_tag(session, spec[len(TAG_PREFIX):], as_typed=as_typed)
        return Target(TAG_PREFIX + tag.key, known=tag.known)
    component = resolve_component(session, spec, as_typed=as_typed)
    return Target(component.key, known=component.known)


def find_release(session: Session, data: ReleaseInput) -> Release | None:
    """The release `data` describes again: the one with its id, even withdrawn, else its live component+version,
    whichever surface recorded it (a version CI published and someone then opens in Slack is the same release)."""
    found = session.exec(select(Release).where(Release.release_key == release_key(data),
                                               text(f"({Release.HOLDS_ITS_KEY})"))).first()
    if found is None and not data.external_id:
        found = session.exec(select(Release).where(
            Release.component == slugify(data.component), Release.version == data.version.strip(),
            col(Release.withdrawn).is_(False)).order_by(Release.id)).first()
    return found


def release_key(data: ReleaseInput) -> str:
    """The key the release `data` describes is stored under (see Release)."""
    return Release.key_for(source=data.source, external_id=data.external_id or None,
                           component=slugify(data.component), version=data.version.strip())


def actor_of(data: ReleaseInput) -> str:
    """Who changed a release: the Slack user, the GitHub login, or the surface (cli, webhook) when nobody is named."""
    return data.created_by or data.source


def _display_name(session: Session, key: str, typed: str) -> str:
    """The directory's or the launch's own spelling of the name, else the one given."""
    for model in (Component, Launch):
        name = session.exec(select(model.name).where(model.key == key)).first()
        if name:
            return name
    return typed.strip()[:100]


def validate(data: ReleaseInput) -> None:
    for name in ("component", "version", "title", "link", "notes"):
        value = getattr(data, name) or ""
        if any(unicodedata.category(c) == "Cs" or unicodedata.category(c) == "Cc" and (name != "notes" or c not in
               "\n\r\t") for c in value):
            verb = "contain" if name == "notes" else "contains"
            raise InvalidInput(f"The {name} {verb} control characters; take them out and try again.", field=name)
    if not slugify(data.component) or len(data.component) > 100:
        raise InvalidInput("A release needs the component or launch it belongs to (at most 100 characters).",
                           field="component")
    if not data.version.strip() or len(data.version) > 100 or any(c.isspace() for c in data.version.strip()):
        raise InvalidInput(f"“{data.version}” is not a version: give one word, like 1.4.0 or 2026-11.",
                           field="version")
    if data.link and not URL.fullmatch(data.link):
        raise InvalidInput(f"“{data.link}” is not a link: give an http(s) URL.", field="link")
    if len(data.notes) > MAX_NOTES:
        raise InvalidInput(f"Release notes can be at most {MAX_NOTES:,} characters; these have {len(data.notes):,}.",
                           field="notes")
    if data.title and len(data.title) > 200:
        raise InvalidInput("A release title can be at most 200 characters.", field="title")
