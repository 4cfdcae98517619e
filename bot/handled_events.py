"""Answer each Slack event once: Slack retries events it thinks were missed, and replicas share the work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from bot.models import HandledEvent, utcnow

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
