"""What a digest says: its sections for a period, each in a fixed number of statements (no query per launch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, false
from sqlmodel import Session, col, func, or_, select

from bot.digests.models import Digest
from bot.directory import entries
from bot.directory.models import Component, Team
from bot.insights.figures import Insights, insights
from bot.insights.scope import Period, team_people
from bot.launches.models import Launch, LaunchChange, Risk, Stage
from bot.launches.read import ATTENTION_ORDER
from bot.launches.signoff_gate import Signoffs, signoffs_of
from bot.launches.signoff_models import Answer, SignoffRequest
from bot.launches.slips import TARGET, TARGET_CORRECTION
from bot.releases.models import Release

Row = TypeVar("Row")
UPCOMING = timedelta(days=14)
DIGEST_FIELDS = ("created", "stage", TARGET, TARGET_CORRECTION, "risk", "risk reason")
SECTION_ROWS = 25  # lines a section shows; the rest are counted
SHIPPING_DAYS = 30  # the insights a weekly digest shows: the last 30 days, beside the 30 before


@dataclass(frozen=True)
class LaunchNews:
    """What changed on one launch since the last digest."""

    launch: Launch
    changes: list[LaunchChange]


@dataclass(frozen=True)
class AwaitingSignoff:
    """An active launch someone has not approved yet: who is missing, who asked for changes."""

    launch: Launch
    signoffs: Signoffs


@dataclass
class Listed(Generic[Row]):
    """A section's first rows, and how many there are in all: a message shows a few dozen lines."""

    rows: list[Row] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.rows)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class DigestContent:
    since: datetime
    changed: Listed[LaunchNews] = field(default_factory=Listed)
    at_risk: Listed[Launch] = field(default_factory=Listed)
    upcoming: Listed[Launch] = field(default_factory=Listed)
    shipped: Listed[Release] = field(default_factory=Listed)
    gaps: Listed[entries.Gap] = field(default_factory=Listed)
    awaiting: Listed[AwaitingSignoff] = field(default_factory=Listed)

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.at_risk or self.upcoming or self.shipped or self.gaps or self.awaiting)


def content(session: Session, digest: Digest, *, since: datetime, until: datetime, today: date) -> DigestContent:
    """The sections of a digest covering (since, until]; a fixed number of statements, whatever its size."""
    launches = _launch_scope(digest)
    found = DigestContent(since=since)
    if launches is not None:
        found.changed = _changed(session, launches, since=since, until=until)
        active = col(Launch.stage).in_([s for s in Stage if s.is_active])
        found.at_risk = _listed(session, select(Launch).where(active, Launch.risk != Risk.ON_TRACK, *launches)
                                .order_by(ATTENTION_ORDER, Launch.name))
        found.upcoming = _listed(session, select(Launch).where(
            active, col(Launch.target_date) >= today, col(Launch.target_date) <= today + UPCOMING, *launches
        ).order_by(Launch.target_date, Launch.name))
        found.awaiting = _awaiting(session, launches, active)
    found.shipped = _listed(session, _shipped(digest, since=since, until=until))
    found.gaps = _gaps(session, digest)
    return found


def _changed(session: Session, launches: list, *, since: datetime, until: datetime) -> Listed[LaunchNews]:
    """Changes grouped by launch, for the first SECTION_ROWS launches that changed."""
    news = (col(LaunchChange.at) > since, col(LaunchChange.at) <= until, col(LaunchChange.field).in_(DIGEST_FIELDS),
            or_(LaunchChange.field != "risk reason", col(LaunchChange.new_value).is_not(None)))
    changed = select(LaunchChange.launch_id).join(Launch, col(LaunchChange.launch_id) == Launch.id).where(
        *news, *launches).distinct()
    total = session.exec(select(func.count()).select_from(changed.subquery())).one()
    shown = select(Launch.id).where(col(Launch.id).in_(changed)).order_by(Launch.name).limit(SECTION_ROWS)
    rows = session.exec(select(LaunchChange, Launch).join(Launch, col(LaunchChange.launch_id) == Launch.id)
                        .where(*news, col(Launch.id).in_(shown)).order_by(Launch.name, LaunchChange.at)).all()
    by_launch: dict[int, LaunchNews] = {}
    for change, launch in rows:
        _add_news(by_launch.setdefault(launch.id, LaunchNews(launch, [])).changes, change)
    return Listed(list(by_launch.values()), total)


def _awaiting(session: Session, launches: list, active) -> Listed[AwaitingSignoff]:
    """Active launches with a sign-off missing or changes asked, soonest target first: three statements."""
    unanswered = select(SignoffRequest.launch_id).where(SignoffRequest.answer != Answer.APPROVED)
    listed = _listed(session, select(Launch).where(active, col(Launch.id).in_(unanswered), *launches)
                     .order_by(col(Launch.target_date).is_(None), Launch.target_date, Launch.name))
    signoffs = signoffs_of(session, [launch.id for launch in listed.rows])
    return Listed([AwaitingSignoff(launch, signoffs[launch.id]) for launch in listed.rows], listed.total)


def _add_news(changes: list[LaunchChange], change: LaunchChange) -> None:
    """A correction amends the change it corrects, so a digest tells the move as it stands ("slipped 2 days to
    …"), not the mistake and its repair; a correction of the target a launch was created with is no news."""
    corrected = changes[-1] if changes and change.field == TARGET_CORRECTION else None
    if corrected is not None and corrected.field == TARGET:
        changes[-1] = LaunchChange(launch_id=corrected.launch_id, at=corrected.at, actor_id=corrected.actor_id,
                                   field=TARGET, old_value=corrected.old_value, new_value=change.new_value)
    elif corrected is None or corrected.field != "created":
        changes.append(change)


def _listed(session: Session, query) -> Listed:
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    return Listed(list(session.exec(query.limit(SECTION_ROWS)).all()), total)


def shipping(session: Session, digest: Digest, *, today: date, tz: ZoneInfo) -> Insights | None:
    """How we're shipping: the insights of the last 30 days for the digest's launches, whatever stage they are in
    now; None when its filters name no launch (a tag)."""
    launches = _launch_scope(digest, by_stage=False)
    if launches is None:
        return None
    period = Period(today - timedelta(days=SHIPPING_DAYS - 1), today)
    return insights(session, period=period, today=today, tz=tz, where=launches)


def _launch_scope(digest: Digest, *, by_stage: bool = True) -> list | None:
    """Conditions on launches for this digest's filters; None when no launch can match (a tag filter)."""
    filters = digest.filters
    if "tag" in filters:
        return None  # launches carry no tags
    conditions = []
    if digest.personal:
        conditions.append(Launch.owner_id == digest.channel_id)
    if by_stage and "stage" in filters:
        conditions.append(Launch.stage == filters["stage"])
    if "component" in filters:
        conditions.append(Launch.key == filters["component"])
    if "team" in filters:
        conditions.append(col(Launch.owner_id).in_(team_people(filters["team"])))
    return conditions


def _shipped(digest: Digest, *, since: datetime, until: datetime):
    """Releases announced in the window that this digest's filters let through."""
    filters = digest.filters
    query = select(Release).where(col(Release.announce_at) > since, col(Release.announce_at) <= until,
                                  col(Release.withdrawn).is_(False)).order_by(Release.announce_at)
    if "component" in filters:
        query = query.where(Release.component == filters["component"])
    if "tag" in filters:
        query = query.where(_has_tag(Release.tags, filters["tag"]))
    if "team" in filters:
        query = query.where(col(Release.component).in_(
            select(Component.key).join(Team, col(Component.team_id) == Team.id).where(Team.key == filters["team"])))
    if digest.personal or "stage" in filters:  # releases of the launches the digest is about
        scope = _launch_scope(digest)
        query = query.where(false() if scope is None else col(Release.component).in_(select(Launch.key).where(*scope)))
    return query


def _gaps(session: Session, digest: Digest) -> Listed[entries.Gap]:
    if digest.personal or "stage" in digest.filters:
        return Listed()
    filters = digest.filters
    where = []
    if "component" in filters:
        where.append(Component.key == filters["component"])
    if "tag" in filters:
        where.append(_has_tag(Component.tags, filters["tag"]))
    if "team" in filters:
        where.append(col(Component.team_id).in_(select(Team.id).where(Team.key == filters["team"])))
    found = entries.gaps(session, where=tuple(where))
    return Listed(found[:SECTION_ROWS], len(found))


def _has_tag(tags_column, tag: str):
    """Tags are slugs in a JSON list, so the quoted slug appears in its text on every store."""
    return cast(tags_column, String).like(f'%"{tag}"%')

