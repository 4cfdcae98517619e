"""Each launch's delivery facts, read from its history: the inputs of every figure (README, "Launch insights").

Two statements whatever the number of launches: the launches, then one ordered read of their stage and
target changes. A launch's creation values are no change (a launch made in `building` with a target has
no stage or target row), so what it was created with is the first change's old value, else its current one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.launches.models import Launch, LaunchChange, Stage
from bot.launches.slips import TARGET, TARGET_CORRECTION, slip

STAGE = "stage"
# Entering building commits a launch to its target; one that skipped building commits on the stage after it.
COMMITTED_STAGES = frozenset({Stage.BUILDING, Stage.BETA, Stage.READY, Stage.LAUNCHED})
SECONDS_A_DAY = 86_400
# What the facts read of a launch: columns, not ORM objects, as thousands are read at once.
LAUNCH_COLUMNS = (Launch.id, Launch.key, Launch.name, Launch.owner_id, Launch.stage, Launch.target_date,
                  Launch.created_at)


@dataclass(frozen=True)
class LaunchFacts:
    """One launch as the figures see it; `export launches` writes these so an analyst can check them."""

    key: str
    name: str
    owner_id: str | None
    stage: Stage
    committed_target: date | None  # None: it never had a target since it was committed ("no target")
    final_target: date | None
    launched_on: date | None  # the day it first entered `launched`, in Herald's time zone
    cancelled: bool
    slips: int
    slip_days: int
    days_in_stage: dict[str, float] = field(default_factory=dict)  # stages it entered and left, days in each

    @property
    def delay(self) -> int | None:
        """Days launched after the committed target (negative: early); None unless launched with one."""
        if self.launched_on is None or self.committed_target is None:
            return None
        return (self.launched_on - self.committed_target).days

    @property
    def on_time(self) -> bool:
        return self.delay is not None and self.delay <= 0


# What `herald export launches` adds to each launch: every input of the figures, so a spreadsheet can check them.
FIGURE_COLUMNS = ("committed_target", "final_target", "launched_on", "delay_days", "on_time", "slips", "slip_days",
                  *(f"days_{stage}" for stage in Stage))


def figure_columns(facts: LaunchFacts) -> dict[str, object]:
    """The FIGURE_COLUMNS of one launch; days in a stage it never left are empty."""
    return {
        "committed_target": facts.committed_target and facts.committed_target.isoformat(),
        "final_target": facts.final_target and facts.final_target.isoformat(),
        "launched_on": facts.launched_on and facts.launched_on.isoformat(),
        "delay_days": facts.delay,
        "on_time": facts.on_time if facts.delay is not None else None,
        "slips": facts.slips,
        "slip_days": facts.slip_days,
        **{f"days_{stage}": round(facts.days_in_stage[stage], 2) if stage in facts.days_in_stage else None
           for stage in Stage},
    }

def launch_facts(session: Session, *, tz: ZoneInfo, where: Sequence = ()) -> list[LaunchFacts]:
    """The facts of every launch `where` (conditions on Launch) lets through, by key."""
    launches = session.exec(select(*LAUNCH_COLUMNS).where(*where).order_by(Launch.id)).all()
    rows = session.exec(
        select(LaunchChange.launch_id, LaunchChange.at, LaunchChange.field, LaunchChange.old_value,
               LaunchChange.new_value)
        .join(Launch, col(Launch.id) == LaunchChange.launch_id)
        .where(col(LaunchChange.field).in_((STAGE, TARGET, TARGET_CORRECTION)), *where)
        .order_by(LaunchChange.launch_id, LaunchChange.at, LaunchChange.id)
    ).all()
    history = {launch_id: list(changes) for launch_id, changes in groupby(rows, key=lambda row: row[0])}
    facts = [facts_of(launch, history.get(launch.id, []), tz=tz) for launch in launches]
    return sorted(facts, key=lambda f: f.key)


def facts_of(launch: Launch, changes: Iterable[tuple], *, tz: ZoneInfo) -> LaunchFacts:
    """One launch's facts (a Launch, or a row of its LAUNCH_COLUMNS) from its (launch_id, at, field, old, new)
    stage and target changes, oldest first."""
    changes = [(utc(at), name, old, new) for _id, at, name, old, new in changes]
    stages = [(at, old, new) for at, name, old, new in changes if name == STAGE]
    moves = [(name, old, new) for _at, name, old, new in changes if name != STAGE]
    visits = _stage_visits(launch, stages)
    committed_at = next((start for stage, start, _end in visits if stage in COMMITTED_STAGES), None)
    launched_at = next((start for stage, start, _end in visits if stage == Stage.LAUNCHED), None)
    slipped = slip(moves)
    return LaunchFacts(
        key=launch.key, name=launch.name, owner_id=launch.owner_id, stage=Stage(launch.stage),
        committed_target=_committed_target(launch, changes, committed_at),
        final_target=launch.target_date,
        launched_on=launched_at.astimezone(tz).date() if launched_at else None,
        cancelled=launch.stage == Stage.CANCELLED,
        slips=slipped.count, slip_days=slipped.days,
        days_in_stage=_days_in_stage(visits),
    )


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for values stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stage_visits(launch: Launch, stages: list[tuple]) -> list[tuple[Stage, datetime, datetime | None]]:
    """(stage, entered, left) for each stay, from creation on; the current stay has not ended."""
    stage = Stage(stages[0][1] if stages and stages[0][1] else launch.stage)
    entered = utc(launch.created_at)
    visits = []
    for at, _old, new in stages:
        visits.append((stage, entered, at))
        stage, entered = Stage(new), at
    visits.append((stage, entered, None))
    return visits


def _days_in_stage(visits: list[tuple[Stage, datetime, datetime | None]]) -> dict[str, float]:
    days: dict[str, float] = {}
    for stage, entered, left in visits:
        if left is not None:
            days[stage.value] = days.get(stage.value, 0.0) + (left - entered).total_seconds() / SECONDS_A_DAY
    return days


def _committed_target(launch: Launch, changes: list[tuple], committed_at: datetime | None) -> date | None:
    """The target in force when the launch was committed, else the first one set after; None if neither.

    A correction amends the target it corrects, as for slips: a mistake put right is not what was promised.
    """
    if committed_at is None:
        return None
    timeline = _target_timeline(launch, changes)
    in_force = next((target for at, target in reversed(timeline) if at <= committed_at), None)
    found = in_force or next((target for at, target in timeline if at > committed_at and target), None)
    return date.fromisoformat(found) if found else None


def _target_timeline(launch: Launch, changes: list[tuple]) -> list[tuple[datetime, str | None]]:
    """(since, target) from creation on: what it was created with, then each move, corrections folded in."""
    moves = [(at, name, old, new) for at, name, old, new in changes if name != STAGE]
    created_with = moves[0][2] if moves else _as_text(launch.target_date)
    timeline = [(utc(launch.created_at), created_with)]
    for at, name, _old, new in moves:
        if name == TARGET_CORRECTION:
            timeline[-1] = (timeline[-1][0], new)
        else:
            timeline.append((at, new))
    return timeline


def _as_text(day: date | None) -> str | None:
    return day.isoformat() if day else None
