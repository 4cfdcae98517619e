"""Changing launches: creating one with its checklist and history, setting fields, renaming.

Every change is a history row (who, when, field, old → new) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.matching import slugify
from bot.directory.models import Component
from bot.launches import slips
from bot.launches.fields import SETTABLE_FIELDS, SETTERS, one_line
from bot.launches.models import ChecklistItem, Launch, LaunchChange, Risk, Stage
from bot.launches.signoff_gate import hold_back
from bot.releases.models import Release

MAX_NAME_LENGTH = 80
DEFAULT_CHECKLIST = (
    "Docs and release notes ready",
    "Support briefed",
    "Marketing sign-off",
    "Monitoring and alerts in place",
    "Rollback plan tested",
)


@dataclass(frozen=True)
class Change:
    """A change just made to a launch, for confirming it and announcing it in the launch's channel."""

    launch: Launch
    changes: list[LaunchChange]

    @property
    def went_live(self) -> bool:
        return any(c.field == "stage" and c.new_value == Stage.LAUNCHED for c in self.changes)


def create_launch(
    session: Session,
    *,
    name: str,
    actor_id: str,
    now: datetime,
    target: date | None = None,
    owner_id: str | None = None,
    channel_id: str | None = None,
    stage: Stage = Stage.PLANNING,
    risk: Risk = Risk.ON_TRACK,
    risk_reason: str | None = None,
    done: int = 0,
) -> Launch:
    """The one way a launch comes to be (from Slack, the demo or a test): the launch, its default
    checklist with the first `done` items ticked by its owner, and the "created" history row."""
    name = _clean_name(name)
    key = _free_name_key(session, name)
    owner_id = owner_id or actor_id
    launch = Launch(key=key, name=name, name_key=key, stage=stage, target_date=target, owner_id=owner_id, risk=risk,
                    risk_reason=risk_reason, channel_id=channel_id, created_by=actor_id, created_at=now, updated_at=now)
    with _taking_name(session, name):
        session.add(launch)
    session.add_all(
        ChecklistItem(launch_id=launch.id, position=i, label=label, done=i <= done,
                      done_by=owner_id if i <= done else None, done_at=now if i <= done else None)
        for i, label in enumerate(DEFAULT_CHECKLIST, start=1)
    )
    session.add(LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field="created", new_value=name))
    return launch


def change_field(
    session: Session,
    *,
    launch: Launch,
    field_name: str,
    value: str,
    actor_id: str,
    admins: Collection[str],
    today: date,
    now: datetime,
    override: str | None = None,
) -> Change:
    """Set one field, with its history row; a stage the sign-offs hold back is refused unless an admin gives
    an `override` reason, recorded in the history too."""
    check_allowed(launch, actor_id, admins)
    setter = SETTERS.get(field_name.lower())
    if setter is None:
        raise InvalidInput(f"I can't set “{field_name}”. Fields you can set: {', '.join(SETTABLE_FIELDS)}.")
    updates = setter(value.strip(), today)
    stage = next((new for _name, attribute, new in updates if attribute == "stage"), None)
    overridden = stage and hold_back(session, launch=launch, stage=stage, override=override, actor_id=actor_id,
                                     admins=admins, now=now)
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
    if any(c.field == "channel" for c in changes):
        launch.thread_ts = None  # that thread is in the old channel: the next update starts one in the new
    moved = next((c for c in changes if c.field == slips.TARGET), None)
    if moved and slips.is_correction(session, launch, moved.old_value, actor_id=actor_id, now=now):
        moved.field = slips.TARGET_CORRECTION
    if overridden:
        changes.append(overridden)
    if changes:
        launch.updated_at = now
        session.add(launch)
        session.add_all(changes)
    return Change(launch, changes)


def rename_launch(
    session: Session, *, launch: Launch, new_name: str, actor_id: str, admins: Collection[str], now: datetime
) -> Change:
    """A new name; the key stays, so releases, subscriptions and digest filters keep following the launch."""
    check_allowed(launch, actor_id, admins)
    name = _clean_name(new_name)
    if name == launch.name:
        return Change(launch, [])
    name_key = _free_name_key(session, name, renaming=launch)
    change = LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field="name", old_value=launch.name,
                          new_value=name)
    with _taking_name(session, name, renaming=launch):
        launch.name, launch.name_key, launch.updated_at = name, name_key, now
        session.add(launch)
    session.add(change)
    return Change(launch, [change])


def set_thread(session: Session, *, launch_id: int, channel_id: str, thread_ts: str) -> bool:
    """Remember the thread root posted in `channel_id`, unless the launch has moved channel or has a root
    already (another replica's): whether it was stored."""
    stored = session.execute(
        update(Launch)
        .where(col(Launch.id) == launch_id, col(Launch.channel_id) == channel_id, col(Launch.thread_ts).is_(None))
        .values(thread_ts=thread_ts)
    )
    return stored.rowcount == 1


def check_allowed(launch: Launch, actor_id: str, admins: Collection[str]) -> None:
    """With no admins configured everyone may change launches; otherwise admins, owner and creator."""
    if not admins or actor_id in admins or actor_id in (launch.owner_id, launch.created_by):
        return
    raise NotAllowed(
        f"Only the launch's owner, its creator or a Herald admin can change “{launch.name}”."
    )


def _free_name_key(session: Session, name: str, *, renaming: Launch | None = None) -> str:
    """The name as a key, if no other launch answers to it and no component is called that: a launch
    answering to a component's name would take its releases, subscriptions and digest filters over."""
    key = slugify(name)
    others = [col(Launch.id) != renaming.id] if renaming else []
    taken = session.exec(select(Launch.name).where(or_(Launch.key == key, Launch.name_key == key), *others)).first()
    if taken:
        raise InvalidInput(f"There is already a launch called “{taken}”. Try `/launch status {taken}`.")
    if where := _component_called(session, key, launch_key=renaming.key if renaming else None):
        raise InvalidInput(f"“{name}” is a component {where}; give the launch a name of its own, "
                           f"like “{name} launch”.")
    return key


@contextmanager
def _taking_name(session: Session, name: str, *, renaming: Launch | None = None) -> Iterator[None]:
    """Write the launch under its name inside this block, not at commit: two people taking one name at once
    both pass `_free_name_key`, and the unique index stops the later one, who is told as the check would."""
    try:
        with session.begin_nested():  # flushes what came before, so only the name's write is in it
            yield
    except IntegrityError:
        _free_name_key(session, name, renaming=renaming)
        raise


def _component_called(session: Session, key: str, *, launch_key: str | None) -> str | None:
    """Where a component answering to `key` is known from, if one is: the directory (by its key, name or an
    alias), or releases recorded under it other than the launch's own (recorded under `launch_key`)."""
    directory = session.exec(select(Component.key, Component.name, Component.aliases)).all()
    if any(key in {slugify(spelling) for spelling in (known, called, *aliases)} for known, called, aliases in directory):
        return "in the ownership directory"
    if key != launch_key and session.exec(select(Release.id).where(Release.component == key)).first():
        return "releases were recorded under"
    return None


def _clean_name(name: str) -> str:
    name = one_line(name, "A launch name")
    if not name:
        raise InvalidInput("Give the launch a name: `/launch new <name> [target YYYY-MM-DD] [@owner]`.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Launch names can be at most {MAX_NAME_LENGTH} characters; yours has {len(name)}.")
    if not slugify(name):
        raise InvalidInput("A launch name needs at least one letter or digit.")
    if len(slugify(name)) > MAX_NAME_LENGTH:  # İ and ß grow when they become a key
        raise InvalidInput(f"Launch names can be at most {MAX_NAME_LENGTH} characters once spelled plainly; "
                           "use a shorter name.")
    return name


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
