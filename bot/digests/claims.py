"""Claims on digest periods: the unique row a replica inserts before posting, so each period is posted once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, func, select

from bot.digests.models import DigestRun


def claim_period(session: Session, *, digest_id: int, period: datetime, posted: bool) -> bool:
    """Insert the unique run row for this period; False if another replica (or an earlier run) has it."""
    try:
        with session.begin_nested():
            session.add(DigestRun(digest_id=digest_id, period=period, posted=posted))
    except IntegrityError:
        return False
    return True


def release_claim(session: Session, *, digest_id: int, period: datetime) -> None:
    """Give a period back when posting failed, so the next wake-up tries again."""
    session.exec(delete(DigestRun).where(DigestRun.digest_id == digest_id, DigestRun.period == period))


def claimed_periods(session: Session) -> dict[int, datetime]:
    """The newest claimed period of every digest, in one statement."""
    return dict(session.exec(select(DigestRun.digest_id, func.max(DigestRun.period)).group_by(DigestRun.digest_id)).all())
