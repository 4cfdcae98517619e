"""Launch rules: creating, changing and reading launches. Plain data in and out; no Slack here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from bot.errors import InvalidInput, LaunchNotFound, NotAllowed
from bot.launch_fields import SETTABLE_FIELDS, SETTERS, parse_target
from bot.matching import closest, slugify
from bot.models import ChecklistItem, Launch, LaunchChange, Risk, Stage

MAX_NAME_LENGTH = 80
MAX_ITEM_LENGTH = 150
BOARD_ROWS = 30  # launches listed on the board; the rest are counted per stage
# Blocked first, then at risk, then the rest: the order every list of launches needs attention in.
ATTENTION_ORDER = case((Launch.risk == Risk.BLOCKED, 0), (Launch.risk == Risk.AT_RISK, 1), else_=2)
DEFAULT_CHECKLIST = (
    "Docs and release notes ready",
    "Support briefed",
    "Marketing sign-off",
    "Monitoring and alerts in place",
    "Rollback plan tested",
)


@dataclass(frozen=True)
class Slip:
    count: int
    days: int


@dataclass(frozen=True)
class LaunchDetail:
    """Everything the status card of one launch shows."""

    launch: Launch
    checklist: list[ChecklistItem]
    recent_changes: list[LaunchChange]
    slip: Slip

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
class Change:
    """A change just made to a launch, for confirming it and announcing it in the launch's channel."""

    launch: Launch
    changes: list[LaunchChange]

    @property
    def went_live(self) -> bool:
        return any(c.field == "stage" and c.new_value == Stage.LAUNCHED for c in self.changes)


# Reading


def find_launch(session: Session, reference: str) -> Launch:
    """The one launch `reference` names: by key or name, else by a unique partial match."""
    reference = reference.strip()
    key = slugify(reference)
    if key:
        launch = session.exec(select(Launch).where(Launch.key == key)).first()
        if launch:
            return launch
    rows = session.exec(select(Launch.id, Launch.key, Launch.name)).all()
    names = {launch_id: name for launch_id, _key, name in rows}
    containing = [launch_id for launch_id, launch_key, _name in rows if key and key in launch_key]
    if len(containing) == 1:
        return session.get_one(Launch, containing[0])
    if containing:
        ranked = closest(reference, {i: names[i] for i in containing}, limit=5, cutoff=0)
        raise LaunchNotFound(reference, [names[i] for i in ranked], ambiguous=True)
    raise LaunchNotFound(reference, [names[i] for i in closest(reference, names, limit=3)])


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
    known = set(session.exec(select(Launch.key).where(col(Launch.key).in_(prefixes.values()))).all())
    cut = next((i for i in cuts if prefixes[i] in known), cuts[0] if before else 1)
    return " ".join(words[:cut]), words[cut:]


def launch_detail(session: Session, reference: str) -> LaunchDetail:
    launch = find_launch(session, reference)
    checklist = session.exec(
        select(ChecklistItem).where(ChecklistItem.launch_id == launch.id).order_by(ChecklistItem.position)
    ).all()
    recent = session.exec(
        select(LaunchChange)
        .where(LaunchChange.launch_id == launch.id)
        .order_by(col(LaunchChange.at).desc(), col(LaunchChange.id).desc())
        .limit(5)
    ).all()
    target_moves = session.exec(
        select(LaunchChange.old_value, LaunchChange.new_value).where(
            LaunchChange.launch_id == launch.id, LaunchChange.field == "target"
        )
    ).all()
    return LaunchDetail(launch, list(checklist), list(recent), _slip(target_moves))


def _slip(target_moves: Collection[tuple[str | None, str | None]]) -> Slip:
    """A slip is a target date moved later; days add up over every slip."""
    count = days = 0
    for old, new in target_moves:
        if old and new and new > old:  # ISO dates compare as text
            count += 1
            days += (date.fromisoformat(new) - date.fromisoformat(old)).days
    return Slip(count, days)


def board(session: Session, *, limit: int = BOARD_ROWS) -> Board:
    """Active launches, blocked and at risk first, then by target date."""
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
    )


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


# Changing


def create_launch(
    session: Session,
    *,
    name: str,
    actor_id: str,
    target: str | None = None,
    owner_id: str | None = None,
    channel_id: str | None = None,
    today: date,
    now: datetime,
) -> Launch:
    name = _clean_name(name)
    key = slugify(name)
    if session.exec(select(Launch.id).where(Launch.key == key)).first():
        raise InvalidInput(f"There is already a launch called “{name}”. Try `/launch status {name}`.")
    launch = Launch(
        key=key,
        name=name,
        target_date=parse_target(target, today=today) if target else None,
        owner_id=owner_id or actor_id,
        channel_id=channel_id,
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(launch)
    session.flush()
    session.add_all(
        ChecklistItem(launch_id=launch.id, position=i, label=label)
        for i, label in enumerate(DEFAULT_CHECKLIST, start=1)
    )
    session.add(LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field="created", new_value=name))
    return launch


def change_field(
    session: Session,
    *,
    reference: str,
    field_name: str,
    value: str,
    actor_id: str,
    admins: Collection[str],
    today: date,
    now: datetime,
) -> Change:
    launch = find_launch(session, reference)
    _check_allowed(launch, actor_id, admins)
    setter = SETTERS.get(field_name.lower())
    if setter is None:
        raise InvalidInput(f"I can't set “{field_name}”. Fields you can set: {', '.join(SETTABLE_FIELDS)}.")
    updates = setter(value.strip(), today)
    changes = [
        LaunchChange(
            launch_id=launch.id,
            at=now,
            actor_id=actor_id,
            field=name,
            old_value=_as_text(getattr(launch, attribute)),
            new_value=_as_text(new),
        )
        for name, attribute, new in updates
        if getattr(launch, attribute) != new
    ]
    for _name, attribute, new in updates:
        setattr(launch, attribute, new)
    if changes:
        launch.updated_at = now
        session.add(launch)
        session.add_all(changes)
    return Change(launch, changes)


def check_item(
    session: Session,
    *,
    reference: str,
    item: str,
    done: bool,
    actor_id: str,
    admins: Collection[str],
    now: datetime,
) -> Change:
    launch = find_launch(session, reference)
    _check_allowed(launch, actor_id, admins)
    items = session.exec(
        select(ChecklistItem).where(ChecklistItem.launch_id == launch.id).order_by(ChecklistItem.position)
    ).all()
    target = _find_item(list(items), item)
    if target.done == done:
        return Change(launch, [])
    target.done, target.done_by, target.done_at = done, (actor_id if done else None), (now if done else None)
    change = LaunchChange(
        launch_id=launch.id,
        at=now,
        actor_id=actor_id,
        field="checklist",
        old_value=None,
        new_value=f"{'☑' if done else '☐'} {target.label}",
    )
    launch.updated_at = now
    session.add_all([target, change, launch])
    return Change(launch, [change])


def add_item(
    session: Session, *, reference: str, label: str, actor_id: str, admins: Collection[str], now: datetime
) -> Change:
    launch = find_launch(session, reference)
    _check_allowed(launch, actor_id, admins)
    label = " ".join(label.split())
    if not label:
        raise InvalidInput("Say what the checklist item is: `/launch add-item <launch> <item>`.")
    if len(label) > MAX_ITEM_LENGTH:
        raise InvalidInput(f"Checklist items can be at most {MAX_ITEM_LENGTH} characters; yours has {len(label)}.")
    last = session.exec(
        select(func.max(ChecklistItem.position)).where(ChecklistItem.launch_id == launch.id)
    ).one()
    change = LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field="checklist", new_value=f"+ {label}")
    session.add_all([ChecklistItem(launch_id=launch.id, position=(last or 0) + 1, label=label), change])
    return Change(launch, [change])


def set_thread(session: Session, *, launch_id: int, thread_ts: str) -> None:
    launch = session.get_one(Launch, launch_id)
    launch.thread_ts = thread_ts
    session.add(launch)


def _check_allowed(launch: Launch, actor_id: str, admins: Collection[str]) -> None:
    """With no admins configured everyone may change launches; otherwise admins, owner and creator."""
    if not admins or actor_id in admins or actor_id in (launch.owner_id, launch.created_by):
        return
    raise NotAllowed(
        f"Only the launch's owner, its creator or a Herald admin can change “{launch.name}”."
    )


def _find_item(items: list[ChecklistItem], reference: str) -> ChecklistItem:
    reference = reference.strip()
    if reference.isdigit() and 1 <= int(reference) <= len(items):
        return items[int(reference) - 1]
    wanted = slugify(reference)
    exact = [item for item in items if slugify(item.label) == wanted]
    partial = [item for item in items if wanted and wanted in slugify(item.label)]
    for found in (exact, partial):
        if len(found) == 1:
            return found[0]
    listed = "; ".join(f"{i}. {item.label}" for i, item in enumerate(items, start=1))
    raise InvalidInput(f"Which checklist item is “{reference}”? Use its number or name: {listed}")


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the launch a name: `/launch new <name> [target YYYY-MM-DD] [@owner]`.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Launch names can be at most {MAX_NAME_LENGTH} characters; yours has {len(name)}.")
    if not slugify(name):
        raise InvalidInput("A launch name needs at least one letter or digit.")
    return name


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
