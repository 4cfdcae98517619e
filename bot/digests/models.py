"""Digest tables: each schedule, and the one row a replica claims for each period it posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow


class Digest(SQLModel, table=True):
    """A channel's (or a person's) scheduled digest. The row is the schedule; the scheduler only wakes Herald."""

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32, unique=True)  # a channel, or a user ID for a personal DM digest
    personal: bool = False  # only the launches this person owns
    cron: str = Field(max_length=100)  # minute hour day month day-of-week
    timezone: str = Field(max_length=64)
    filters: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # team, component, tag, stage
    always: bool = False  # post even when there is nothing to say
    # A weekly digest says how we're shipping (launch insights of the last 30 days); `-insights` turns it off.
    insights: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class RunState(StrEnum):
    CLAIMED = "claimed"  # a replica holds the period (until lease_until) and has not posted
    POSTING = "posting"  # the post was sent; until its answer, it may or may not be in the channel
    POSTED = "posted"
    SKIPPED = "skipped"  # nothing to say, or too late after downtime


class DigestRun(SQLModel, table=True):
    """One digest period: the unique (digest, period) row a replica must insert before posting."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("digest_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True, ondelete="CASCADE")
    period: datetime  # the scheduled time this run stands for
    state: RunState = Field(default=RunState.CLAIMED, sa_type=String(16))
    lease_until: datetime | None = None  # a claimed or posting run whose lease ran out is taken over
    lease_token: str | None = Field(default=None, max_length=32)  # fences every change by the holder
    attempt_at: datetime | None = None  # when the latest post was sent
    message_ts: str | None = Field(default=None, max_length=32)
    at: datetime = Field(default_factory=utcnow)
