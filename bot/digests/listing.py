"""The digests set up: what `/launch digests` lists, read in two statements however many there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, or_, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.digests.models import Digest, DigestRun, RunState
from bot.digests.schedules import schedule_of


@dataclass(frozen=True)
class ListedDigest:
    """One digest as its list shows it: where it goes, when, what it keeps, and how it last went."""

    where: str  # a channel ID, or the person's user ID for a personal digest (shown as them, not their DM)
    personal: bool
    schedule: str  # in words: "Daily at 09:00 Europe/Berlin"
    timezone: str
    filters: dict[str, str]
    always: bool
    next_run: datetime | None  # None: no run within a year
    last_posted: datetime | None
    set_up_by: str


@dataclass(frozen=True)
class DigestList:
    digests: list[ListedDigest]
    everywhere: bool  # the whole workspace (an admin asked), not only here and the asker's own


def visible_digests(session: Session, *, channel_id: str, user_id: str, everywhere: bool,
                    now: datetime) -> list[ListedDigest]:
    """Every digest when `everywhere`, else this channel's and the person's own; channels first, then people."""
    query = select(Digest).order_by(col(Digest.personal), Digest.channel_id)
    if not everywhere:
        query = query.where(or_(Digest.channel_id == channel_id,
                                (Digest.channel_id == user_id) & col(Digest.personal)))
    digests = session.exec(query).all()
    last_posted = _last_posted(session, [digest.id for digest in digests])
    return [_listed(digest, last_posted.get(digest.id), now) for digest in digests]


def digests_here(herald: Herald, *, channel_id: str, user_id: str) -> DigestList:
    """What `/launch digests` shows: for an admin (or anyone, while Herald has no admins) the whole workspace."""
    roles = herald.roles
    everywhere = roles.open or user_id in roles.admins
    with session_scope(herald.engine) as session:
        found = visible_digests(session, channel_id=channel_id, user_id=user_id, everywhere=everywhere,
                                now=herald.clock())
    return DigestList(found, everywhere)


def _last_posted(session: Session, digest_ids: list[int]) -> dict[int, datetime]:
    """The newest posted period of each digest, in one statement."""
    if not digest_ids:
        return {}
    rows = session.exec(select(DigestRun.digest_id, func.max(DigestRun.period))
                        .where(col(DigestRun.digest_id).in_(digest_ids), DigestRun.state == RunState.POSTED)
                        .group_by(DigestRun.digest_id)).all()
    return dict(rows)


def _listed(digest: Digest, last_posted: datetime | None, now: datetime) -> ListedDigest:
    schedule = schedule_of(digest)
    return ListedDigest(
        where=digest.channel_id, personal=digest.personal, schedule=schedule.describe(), timezone=digest.timezone,
        filters=dict(sorted(digest.filters.items())), always=digest.always, next_run=schedule.next_fire(now),
        last_posted=last_posted, set_up_by=digest.created_by,
    )
