"""Answer each Slack event once: Slack retries events it thinks were missed, and replicas share the work."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete

from bot.core.models import utcnow


class HandledEvent(SQLModel, table=True):
    """Slack event IDs already answered: Slack retries events, and every replica must answer once."""

    __tablename__ = "handled_event"

    event_id: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(default_factory=utcnow)


KEEP = timedelta(days=1)  # Slack retries within minutes; a day of IDs is plenty


def claim_event(session: Session, event_id: str) -> bool:
    """True for the first caller with this event ID, in any process; False for every retry."""
    try:
        with session.begin_nested():
            session.add(HandledEvent(event_id=event_id))
    except IntegrityError:
        return False
    if event_id.endswith("0"):  # prune now and then, not on every event
        session.exec(delete(HandledEvent).where(col(HandledEvent.at) < utcnow() - KEEP))
    return True
