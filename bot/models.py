"""Herald's tables. Schema changes go through Alembic revisions in `migrations/`."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Stage(StrEnum):
    """A launch's stage, in the order launches move through them."""

    PLANNING = "planning"
    BUILDING = "building"
    BETA = "beta"
    READY = "ready"
    LAUNCHED = "launched"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self not in (Stage.LAUNCHED, Stage.CANCELLED)


class Risk(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"


class Launch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=80)
    stage: Stage = Field(default=Stage.PLANNING, sa_type=String(16), index=True)
    target_date: date | None = Field(default=None, index=True)
    owner_id: str | None = Field(default=None, max_length=32, index=True)
    risk: Risk = Field(default=Risk.ON_TRACK, sa_type=String(16))
    risk_reason: str | None = Field(default=None, max_length=500)
    channel_id: str | None = Field(default=None, max_length=32)
    # The channel message that threads this launch's updates together; set on the first update.
    thread_ts: str | None = Field(default=None, max_length=32)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChecklistItem(SQLModel, table=True):
    __tablename__ = "checklist_item"

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    position: int
    label: str = Field(max_length=150)
    done: bool = False
    done_by: str | None = Field(default=None, max_length=32)
    done_at: datetime | None = None


class ChangeBase(SQLModel):
    """One line of an append-only history: who changed which field, from what, to what, when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)  # digests read a window of it
    actor_id: str = Field(max_length=32)
    field: str = Field(max_length=32)
    old_value: str | None = Field(default=None, max_length=500)
    new_value: str | None = Field(default=None, max_length=500)


class LaunchChange(ChangeBase, table=True):
    __tablename__ = "launch_change"

    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True, index=True)
    name: str = Field(max_length=100)
    display_name: str | None = Field(default=None, max_length=200)
    slack_group: str | None = Field(default=None, max_length=100)
    channel: str | None = Field(default=None, max_length=100)  # a channel ID, or "#name" as written
    escalation: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    """A person as an owners file names them, and the Slack user that turned out to be."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=200, unique=True, index=True)  # e-mail, @handle or Slack user ID
    slack_user_id: str | None = Field(default=None, max_length=32, index=True)
    display_name: str | None = Field(default=None, max_length=200)
    deactivated: bool = False
    checked_at: datetime | None = None


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")


class Component(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)  # paths are keyed as written
    name: str = Field(max_length=200)
    kind: str = Field(default="component", max_length=40)
    description: str | None = Field(default=None, max_length=1000)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True, ondelete="SET NULL")
    primary_contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True, ondelete="SET NULL")
    backup_contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True, ondelete="SET NULL")
    channel: str | None = Field(default=None, max_length=100)
    escalation: str | None = Field(default=None, max_length=500)
    runbook_url: str | None = Field(default=None, max_length=500)
    repo_url: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class OwnershipChange(ChangeBase, table=True):
    """A change made to the directory from Slack."""

    __tablename__ = "ownership_change"

    component_id: int = Field(foreign_key="component.id", index=True, ondelete="CASCADE")


class HandledEvent(SQLModel, table=True):
    """Slack event IDs already answered: Slack retries events, and every replica must answer once."""

    __tablename__ = "handled_event"

    event_id: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(default_factory=utcnow)


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


class Digest(SQLModel, table=True):
    """A channel's (or a person's) scheduled digest. The row is the schedule; the scheduler only wakes Herald."""

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32, unique=True)  # a channel, or a user ID for a personal DM digest
    personal: bool = False  # only the launches this person owns
    cron: str = Field(max_length=100)  # minute hour day month day-of-week
    timezone: str = Field(max_length=64)
    filters: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # team, component, tag, stage
    always: bool = False  # post even when there is nothing to say
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class DigestRun(SQLModel, table=True):
    """One posted digest: the unique (digest, period) row a replica must insert before posting."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("digest_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True, ondelete="CASCADE")
    period: datetime  # the scheduled time this run stands for
    posted: bool = False  # false: skipped (empty, or too late after downtime)
    at: datetime = Field(default_factory=utcnow)


class DirectoryVersion(SQLModel, table=True):
    """One row counting changes to the directory, so every replica's in-memory index can tell it is behind
    by reading a single row instead of scanning the table."""

    __tablename__ = "directory_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
