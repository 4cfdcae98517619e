"""Release tables: releases, the channels subscribed to them, and the outbox of deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Release(SQLModel, table=True):
    """A version of a launch or component, announced to every channel subscribed to it."""

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
    external_id: str | None = Field(default=None, max_length=200, unique=True)  # e.g. GitHub's release id
    created_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


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
    message_ts: str | None = Field(default=None, max_length=32)
    shown_revision: int = 0  # the release revision the posted message shows
