"""Reading launches: finding one by what people type, its status card, and the board of active launches."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, or_, select

from bot.core.errors import InvalidInput, LaunchNotFound
from bot.core.matching import closest, slugify
from bot.launches.models import ChecklistItem, Launch, LaunchChange, Risk, Stage
from bot.launches.signoff_gate import Signoffs, signoffs_of
from bot.launches.slips import Slip, slip, target_moves

BOARD_ROWS = 30  # launches listed on the board; the rest are counted per stage
FINISHED_ROWS = 15  # launched and cancelled launches listed on `/launch status --all`, each
# Blocked first, then at risk, then the rest: the order every list of launches needs attention in.
ATTENTION_ORDER = case((Launch.risk == Risk.BLOCKED, 0), (Launch.risk == Risk.AT_RISK, 1), else_=2)


@dataclass(frozen=True)
class LaunchDetail:
    """Everything the status card of one launch shows."""

    launch: Launch
    checklist: list[ChecklistItem]
    recent_changes: list[LaunchChange]
    slip: Slip
    signoffs: Signoffs = field(default_factory=Signoffs)

    @property
    def readiness(self) -> int:
        if not self.checklist:
            return 0
        return round(100 * sum(item.done for item in self.checklist) / len(self.checklist))


@dataclass(frozen=True)
class Board:
    """Active launches, the ones that need attention first, with counts for what is not shown."""

    launches: list[Launch]
    count_by_stage: dict[Stage, int]
    readiness: dict[int, int] = field(default_factory=dict)
    signoffs: dict[int, Signoffs] = field(default_factory=dict)  # launches with none asked are left out
    # With `--all`: launched, then cancelled launches, newest first.
    finished: list[Finished] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.count_by_stage.values())

    @property
    def hidden(self) -> int:
        return self.total - len(self.launches)

    @property
    def stage_counts(self) -> list[tuple[Stage, int]]:
        return [(stage, self.count_by_stage[stage]) for stage in Stage if stage in self.count_by_stage]

    @property
    def attention(self) -> list[Launch]:
        return [launch for launch in self.launches if launch.risk != Risk.ON_TRACK]

    @property
    def by_stage(self) -> list[tuple[Stage, list[Launch]]]:
        """On-track launches grouped by stage, in the order launches move through stages."""
        calm = [launch for launch in self.launches if launch.risk == Risk.ON_TRACK]
        groups = [(stage, [launch for launch in calm if launch.stage == stage]) for stage in Stage]
        return [(stage, launches) for stage, launches in groups if launches]


@dataclass(frozen=True)
class Finished:
    """Launches that reached a final stage, each with the day it did: the newest, and how many in all."""

    stage: Stage
    launches: list[tuple[Launch, datetime]]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.launches)


def find_launch(session: Session, reference: str) -> Launch:
    """The one launch `reference` names: by name or key, else by a unique partial match."""
    reference = reference.strip()
    key = slugify(reference)
    if key:
        launch = session.exec(select(Launch).where(or_(Launch.name_key == key, Launch.key == key))
                              .order_by(col(Launch.name_key) != key)).first()
        if launch:
            return launch
    rows = session.exec(select(Launch.id, Launch.key, Launch.name_key, Launch.name)).all()
    names = {launch_id: name for launch_id, _key, _name_key, name in rows}
    containing = [launch_id for launch_id, launch_key, name_key, _name in rows
                  if key and (key in name_key or key in launch_key)]
    if len(containing) == 1:
        return session.get_one(Launch, containing[0])
    if containing:
        ranked = closest(reference, {i: names[i] for i in containing}, limit=5, cutoff=0)
        raise LaunchNotFound(reference, [names[i] for i in ranked], ambiguous=True)
    raise LaunchNotFound(reference, [names[i] for i in closest(reference, names, limit=3)])


def launch_by_id(session: Session, launch_id: int) -> Launch:
    """The launch a button or form names by its id."""
    launch = session.get(Launch, launch_id)
    if launch is None:
        raise InvalidInput("That launch is no longer tracked.")
    return launch


def split_reference(
    session: Session, words: list[str], *, before: Collection[str] = ()
) -> tuple[str, list[str]]:
    """Split words into a launch reference and the rest, where the store says a launch name ends.

    Launch names and what follows them are both free text ("/launch check Checkout v2 docs").
    With `before`, the rest must start with one of those words (a field name): the first such
    split that names a launch wins. Without it, the longest prefix that names a launch wins.
    """
    if before:
        cuts = [i for i in range(1, len(words)) if words[i].lower() in before]
    else:
        cuts = list(range(len(words) - 1, 0, -1))
    if not cuts:
        return " ".join(words), []
    prefixes = {i: slugify(" ".join(words[:i])) for i in cuts}
    named = session.exec(select(Launch.key, Launch.name_key).where(
        or_(col(Launch.key).in_(prefixes.values()), col(Launch.name_key).in_(prefixes.values())))).all()
    known = {key for row in named for key in row}
    cut = next((i for i in cuts if prefixes[i] in known), cuts[0] if before else 1)
    return " ".join(words[:cut]), words[cut:]


def launch_detail(session: Session, reference: str) -> LaunchDetail:
    return detail_of(session, find_launch(session, reference))


def detail_of(session: Session, launch: Launch) -> LaunchDetail:
    checklist = session.exec(
        select(ChecklistItem).where(ChecklistItem.launch_id == launch.id).order_by(ChecklistItem.position)
    ).all()
    recent = session.exec(
        select(LaunchChange)
        .where(LaunchChange.launch_id == launch.id)
        .order_by(col(LaunchChange.at).desc(), col(LaunchChange.id).desc())
        .limit(5)
    ).all()
    return LaunchDetail(launch, list(checklist), list(recent), slip(target_moves(session, launch.id)),
                        signoffs_of(session, [launch.id]).get(launch.id, Signoffs()))


def board(session: Session, *, limit: int = BOARD_ROWS, everything: bool = False) -> Board:
    """Active launches, blocked and at risk first, then by target date; with `everything`, finished ones too."""
    active = [stage for stage in Stage if stage.is_active]
    counts = dict(
        session.exec(
            select(Launch.stage, func.count()).where(col(Launch.stage).in_(active)).group_by(Launch.stage)
        ).all()
    )
    launches = session.exec(
        select(Launch)
        .where(col(Launch.stage).in_(active))
        .order_by(ATTENTION_ORDER, col(Launch.target_date).is_(None), Launch.target_date, Launch.name)
        .limit(limit)
    ).all()
    return Board(
        launches=list(launches),
        count_by_stage={Stage(stage): n for stage, n in counts.items()},
        readiness=_readiness(session, [launch.id for launch in launches]),
        signoffs=signoffs_of(session, [launch.id for launch in launches]),
        finished=[_finished(session, stage) for stage in (Stage.LAUNCHED, Stage.CANCELLED)] if everything else [],
    )


def _finished(session: Session, stage: Stage) -> Finished:
    """The day a launch reached `stage` is its last move there; one made in that stage has its creation day."""
    reached = (select(LaunchChange.launch_id, func.max(LaunchChange.at).label("at"))
               .where(LaunchChange.field == "stage", LaunchChange.new_value == stage.value)
               .group_by(LaunchChange.launch_id).subquery())
    day = func.coalesce(reached.c.at, Launch.created_at)
    rows = session.exec(
        select(Launch, day).outerjoin(reached, reached.c.launch_id == Launch.id).where(Launch.stage == stage)
        .order_by(day.desc(), Launch.name).limit(FINISHED_ROWS)
    ).all()
    total = session.exec(select(func.count()).select_from(Launch).where(Launch.stage == stage)).one()
    return Finished(stage, [(launch, at) for launch, at in rows], total)


def _readiness(session: Session, launch_ids: list[int | None]) -> dict[int, int]:
    rows = session.exec(
        select(
            ChecklistItem.launch_id,
            func.count(),
            func.sum(case((col(ChecklistItem.done), 1), else_=0)),
        )
        .where(col(ChecklistItem.launch_id).in_(launch_ids))
        .group_by(ChecklistItem.launch_id)
    ).all()
    return {launch_id: round(100 * (done or 0) / total) for launch_id, total, done in rows}
