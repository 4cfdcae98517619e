"""Digest tables: each schedule, and the one row a replica claims for each period it posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
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
