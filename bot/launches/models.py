"""Launch tables: the launch, its readiness checklist and its append-only history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from bot.core.models import ChangeBase, utcnow


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
    # The key stays when a launch is renamed: releases, subscriptions and digest filters name the launch by it.
    key: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=80)
    # The name as a key, so a renamed launch answers to its new name as well as to its key.
    name_key: str = Field(max_length=80, unique=True, index=True)
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


class LaunchChange(ChangeBase, table=True):
    __tablename__ = "launch_change"

    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
