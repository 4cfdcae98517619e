"""What follows a change to a launch, whichever surface made it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.launches.changes import Change
from bot.releases import recording as releases


def follow_up(session: Session, change: Change, *, now: datetime) -> None:
    """A launch that went live is a release of its own, announced to its subscribers; recorded in the
    change's own transaction so the two stand or fall together."""
    if change.went_live:
        releases.announce_launch(session, change.launch, now=now)
