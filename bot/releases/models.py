"""Release tables: releases, the channels subscribed to them, and the outbox of deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow

LAUNCH_SOURCE = "launch"  # the source of the release a launch becomes when it goes live


class DeliveryState(StrEnum):
    """Where one announcement stands; the outbox worker's README section draws the transitions."""

    PENDING = "pending"  # not posted: may be posted
    SENDING = "sending"  # claimed; posted already if `attempt_at` is set
    UNCERTAIN = "uncertain"  # a post may have landed: looked for in the channel before any new post
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # withdrawn before it was shown


class Release(SQLModel, table=True):
    """A version of a launch or component, announced to every channel subscribed to it.

    `release_key` makes it one release however many replicas record it at once: "id:<source>:<external
    id>" when its source names it (a GitHub release, a CI build, a launch), else "version:<component>:
    <version>". The key is unique among releases that have an id or are not withdrawn. An id names one
    release for good: a publish delivered again after the delete edits the withdrawn release and announces
    nothing. A component and version withdrawn (by mistake, or to be rebuilt) is free to be recorded, and
    announced, again.
    """

    HOLDS_ITS_KEY: ClassVar[str] = "external_id IS NOT NULL OR NOT withdrawn"  # the rows the key is unique over
    __table_args__ = (
        Index("ux_release_key", "release_key", unique=True,
              postgresql_where=text(HOLDS_ITS_KEY), sqlite_where=text(HOLDS_ITS_KEY)),
    )

    @staticmethod
    def key_for(*, source: str, external_id: str | None, component: str, version: str) -> str:
        """The release key of a release with these stored (so slugified and stripped) fields."""
        return f"id:{source}:{external_id}" if external_id else f"version:{component}:{version}"

    id: int | None = Field(default=None, primary_key=True)
    component: str = Field(max_length=100, index=True)  # a component or launch key
    component_name: str = Field(max_length=100)
    version: str = Field(max_length=100)
    title: str | None = Field(default=None, max_length=200)
    notes: str = Field(default="", sa_type=Text)
    link: str | None = Field(default=None, max_length=500)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    prerelease: bool = False
    announce_at: datetime = Field(default_factory=utcnow, index=True)
    fanned_out: bool = Field(default=False, index=True)  # deliveries created for every subscriber
    withdrawn: bool = False
    revision: int = 1  # bumped by each edit, so posted announcements know they are behind
    source: str = Field(max_length=20)  # slack, cli, github, webhook, launch
    external_id: str | None = Field(default=None, max_length=200)  # e.g. GitHub's release id
    created_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    # Computed from the row when not given, so a release inserted any way (a bulk load, a test) has its key.
    release_key: str = Field(max_length=240, sa_column_kwargs={"default": lambda context: Release.key_for(**{
        name: context.get_current_parameters().get(name) for name in ("source", "external_id", "component", "version")
    })})
    edited_by: str | None = Field(default=None, max_length=100)  # who last changed what it says


class ReleaseChange(SQLModel, table=True):
    """The release's history, append-only: each edit or withdrawal, field by field, with who and when."""

    __tablename__ = "release_change"

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)
    actor: str | None = Field(default=None, max_length=100)  # a Slack user ID, a GitHub login, or the surface
    field: str = Field(max_length=20)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)


class Subscription(SQLModel, table=True):
    """A channel asking for release announcements: of one component, of a tag, or of everything."""

    __table_args__ = (UniqueConstraint("channel_id", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32, index=True)
    target: str = Field(max_length=120)  # a component key, "tag:<tag>" or "all"
    prereleases: bool = False
    active: bool = Field(default=True, index=True)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one row per (release, channel), claimed with a lease by one worker at a time."""

    __table_args__ = (UniqueConstraint("release_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True, ondelete="CASCADE")
    channel_id: str = Field(max_length=32)
    subscription_id: int | None = Field(default=None, foreign_key="subscription.id", ondelete="SET NULL")
    state: DeliveryState = Field(default=DeliveryState.PENDING, sa_type=String(16), index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    lease_until: datetime | None = None
    lease_token: str | None = Field(default=None, max_length=32, index=True)  # fences every change by the holder
    leased_by: str | None = Field(default=None, max_length=100, index=True)  # the instance holding the lease
    attempt_at: datetime | None = None  # when the latest post was sent, until its outcome is known
    message_ts: str | None = Field(default=None, max_length=32)
    shown_revision: int = 0  # the release revision the posted message shows
