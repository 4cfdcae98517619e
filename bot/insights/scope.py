"""Which launches figures are about: a team's or a person's, and a period of launch days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, or_, select

from bot.directory.models import Contact, Team, TeamMember
from bot.launches.models import Launch, LaunchChange, Stage


@dataclass(frozen=True)
class Scope:
    """Launches owned by a team's people, or by one person; neither: every launch."""

    team_key: str | None = None
    team_name: str | None = None
    owner_id: str | None = None

    def conditions(self) -> list:
        conditions = []
        if self.team_key:
            conditions.append(col(Launch.owner_id).in_(team_people(self.team_key)))
        if self.owner_id:
            conditions.append(Launch.owner_id == self.owner_id)
        return conditions


@dataclass(frozen=True)
class Period:
    """Launch days from `since` to `until`, both included, in Herald's time zone."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def before(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def covers(self, day: date | None) -> bool:
        return day is not None and self.since <= day <= self.until

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Its first and its day-after-last midnights in `tz`, in UTC (stored times are UTC)."""
        start = datetime.combine(self.since, time(), tz).astimezone(UTC)
        end = datetime.combine(self.until + timedelta(days=1), time(), tz).astimezone(UTC)
        return start, end


def team_people(team_key: str):
    """Slack users in a team, as a subquery: a team's launches are the ones its people own."""
    return (select(Contact.slack_user_id).join(TeamMember, col(TeamMember.contact_id) == Contact.id)
            .join(Team, col(Team.id) == TeamMember.team_id).where(Team.key == team_key))


def may_have_launched_in(period: Period, tz: ZoneInfo):
    """A condition on Launch letting through every launch that may have first entered `launched` in the
    period: it moved to launched then, or was created then as launched (it is launched now, or moved on
    from launched since). The facts decide exactly; this keeps the history read to about the period's."""
    start, end = period.utc_bounds(tz)
    launched = Stage.LAUNCHED.value
    moved_in = select(LaunchChange.launch_id).where(
        LaunchChange.field == "stage", LaunchChange.new_value == launched,
        col(LaunchChange.at) >= start, col(LaunchChange.at) < end)
    moved_on = select(LaunchChange.launch_id).where(LaunchChange.field == "stage", LaunchChange.old_value == launched)
    created_then = (col(Launch.created_at) >= start) & (col(Launch.created_at) < end)
    return or_(col(Launch.id).in_(moved_in),
               created_then & or_(Launch.stage == launched, col(Launch.id).in_(moved_on)))
