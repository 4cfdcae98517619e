"""The digests set up: what `/launch digests` lists, read in three statements however many there are."""

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


LISTED = 48  # digests a list shows: with its title and the line counting the rest, Slack's 50 blocks


@dataclass(frozen=True)
class DigestList:
    digests: list[ListedDigest]  # the first LISTED
    total: int
    everywhere: bool  # the whole workspace (an admin asked), not only here and the asker's own

    @property
    def more(self) -> int:
        return self.total - len(self.digests)


def visible_digests(session: Session, *, channel_id: str, user_id: str, everywhere: bool,
                    now: datetime, limit: int = LISTED) -> tuple[list[ListedDigest], int]:
    """The first `limit` digests, channels first, then people, and how many there are: every digest when
    `everywhere`, else this channel's and the person's own. Only the rows shown are read and scheduled."""
    where = [] if everywhere else [or_(Digest.channel_id == channel_id,
                                       (Digest.channel_id == user_id) & col(Digest.personal))]
    digests = session.exec(select(Digest).where(*where)
                           .order_by(col(Digest.personal), Digest.channel_id, Digest.id).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Digest).where(*where)).one()
    last_posted = _last_posted(session, [digest.id for digest in digests])
    return [_listed(digest, last_posted.get(digest.id), now) for digest in digests], total


def digests_here(herald: Herald, *, channel_id: str, user_id: str) -> DigestList:
    """What `/launch digests` shows: for an admin (or anyone, while Herald has no admins) the whole workspace."""
    roles = herald.roles
    everywhere = roles.open or user_id in roles.admins
    with session_scope(herald.engine) as session:
        found, total = visible_digests(session, channel_id=channel_id, user_id=user_id, everywhere=everywhere,
                                       now=herald.clock())
    return DigestList(found, total, everywhere)


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
