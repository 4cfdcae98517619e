"""Claims on digest periods: the unique row a replica inserts before posting, so each period is posted once.

A run moves claimed → posting → posted (or skipped). Every change after the claim is a conditional
update on the claim's token, so a replica that lost its claim changes nothing; a claim whose lease ran
out (its replica died, or its post's outcome is unknown) is taken over with a new token.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from bot.digests.models import DigestRun, RunState

OPEN = (RunState.CLAIMED, RunState.POSTING)


def claim_period(session: Session, *, digest_id: int, period: datetime, lease_until: datetime,
                 skip: bool = False) -> str | None:
    """Insert the unique run row for this period: its token, or None if another replica (or an earlier run) has it."""
    token = uuid.uuid4().hex
    run = DigestRun(digest_id=digest_id, period=period, state=RunState.SKIPPED if skip else RunState.CLAIMED,
                    lease_token=token, lease_until=lease_until)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return token


def take_over(session: Session, *, digest_id: int, period: datetime, now: datetime,
              lease_until: datetime) -> tuple[str, DigestRun] | None:
    """A new token on an open run whose lease ran out, and the run as it was left; None if it is not that."""
    token = uuid.uuid4().hex
    taken = session.exec(update(DigestRun).where(
        DigestRun.digest_id == digest_id, DigestRun.period == period, col(DigestRun.state).in_(OPEN),
        col(DigestRun.lease_until) < now,
    ).values(lease_token=token, lease_until=lease_until)).rowcount
    if not taken:
        return None
    return token, session.exec(select(DigestRun).where(DigestRun.lease_token == token)).one()


def move(session: Session, token: str, **values) -> bool:
    """One fenced step of the run holding `token`."""
    return bool(session.exec(update(DigestRun).where(DigestRun.lease_token == token).values(**values)).rowcount)


def release_claim(session: Session, token: str) -> None:
    """Give a period back when Slack refused the post (so nothing was posted): the next wake-up tries again."""
    session.exec(delete(DigestRun).where(DigestRun.lease_token == token))


def claimed_periods(session: Session) -> dict[int, datetime]:
    """The newest claimed period of every digest, in one statement."""
    return dict(session.exec(select(DigestRun.digest_id, func.max(DigestRun.period)).group_by(DigestRun.digest_id)).all())


def abandoned_runs(session: Session, *, now: datetime) -> list[tuple[int, datetime]]:
    """Open runs whose lease ran out: a replica died holding them, or their post's outcome is unknown."""
    return list(session.exec(select(DigestRun.digest_id, DigestRun.period).where(
        col(DigestRun.state).in_(OPEN), col(DigestRun.lease_until) < now)).all())
