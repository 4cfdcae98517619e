"""What every part of Herald's store shares: the clock's UTC time and the shape of a history line."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ChangeBase(SQLModel):
    """One line of an append-only history: who changed which field, from what, to what, when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)  # digests read a window of it
    actor_id: str = Field(max_length=32)
    field: str = Field(max_length=32)
    old_value: str | None = Field(default=None, max_length=500)
    new_value: str | None = Field(default=None, max_length=500)
