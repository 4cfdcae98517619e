"""Sign-off tables (part of a launch, like its checklist): who a launch asked to say go or no-go, whom each ask
reached, and the nudges sent. The gate in bot/launches reads them; bot/signoffs asks, answers and nudges."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow

# The launch history rows sign-offs write (one place, so the history import knows them too).
SIGNOFF_FIELD = "sign-off"  # "Legal: asked", then "Legal: pending" → "Legal: approved"
REASON_FIELD = "sign-off reason"  # what needs changing
NUDGE_FIELD = "sign-off nudge"  # a person reminded
OVERRIDE_FIELD = "sign-off override"  # old: what was missing; new: the admin's reason
SIGNOFF_FIELDS = (SIGNOFF_FIELD, REASON_FIELD, NUDGE_FIELD, OVERRIDE_FIELD)


class Answer(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES = "needs_changes"


class SignoffRequest(SQLModel, table=True):
    """One person, user group or directory team asked to sign off a launch; one answer stands for all of them."""

    __tablename__ = "signoff_request"
    __table_args__ = (UniqueConstraint("launch_id", "who"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    who: str = Field(max_length=120)  # "U…" a person, "S…" a user group, "team:<key>" a directory team
    label: str = Field(max_length=200)  # how people read it: "@ben", "@support-team", "Legal"
    answer: Answer = Field(default=Answer.PENDING, sa_type=String(16), index=True)
    requested_by: str = Field(max_length=32)
    requested_at: datetime = Field(default_factory=utcnow)
    answered_by: str | None = Field(default=None, max_length=32)
    answered_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=1000)


class SignoffAsk(SQLModel, table=True):
    """Where a request was sent: a person's DM, or a team's channel; the message is updated once answered."""

    __tablename__ = "signoff_ask"
    __table_args__ = (UniqueConstraint("request_id", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="signoff_request.id", index=True, ondelete="CASCADE")
    recipient: str = Field(max_length=32, index=True)  # a user ID, or a channel ID for a team asked in its channel
    channel_id: str | None = Field(default=None, max_length=32)  # where the ask was posted (a DM's D…)
    ts: str | None = Field(default=None, max_length=32)


class SignoffNudge(SQLModel, table=True):
    """A reminder to one person on one of their days: inserting the row claims it, so replicas send it once."""

    __tablename__ = "signoff_nudge"
    __table_args__ = (UniqueConstraint("recipient", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=32)
    day: date  # the person's own day
    claimed_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
