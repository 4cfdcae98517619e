"""Changing launches: creating one with its checklist and history, setting fields, ticking items.

Every change is a history row (who, when, field, old → new) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.matching import slugify
from bot.directory.models import Component
from bot.launches.fields import SETTABLE_FIELDS, SETTERS
from bot.launches.models import ChecklistItem, Launch, LaunchChange, Risk, Stage

MAX_NAME_LENGTH = 80
MAX_ITEM_LENGTH = 150
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
    key = slugify(name)
    if session.exec(select(Launch.id).where(Launch.key == key)).first():
        raise InvalidInput(f"There is already a launch called “{name}”. Try `/launch status {name}`.")
    if session.exec(select(Component.id).where(Component.key == key)).first():  # its releases are its owners'
        raise InvalidInput(f"“{name}” is a component in the ownership directory; give the launch a name of its own, "
                           f"like “{name} launch”.")
    owner_id = owner_id or actor_id
    launch = Launch(key=key, name=name, stage=stage, target_date=target, owner_id=owner_id, risk=risk,
                    risk_reason=risk_reason, channel_id=channel_id, created_by=actor_id, created_at=now, updated_at=now)
    session.add(launch)
    session.flush()
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
) -> Change:
    check_allowed(launch, actor_id, admins)
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
    launch: Launch,
    item: str,
    done: bool,
    actor_id: str,
    admins: Collection[str],
    now: datetime,
) -> Change:
    check_allowed(launch, actor_id, admins)
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
    session: Session, *, launch: Launch, label: str, actor_id: str, admins: Collection[str], now: datetime
) -> Change:
    check_allowed(launch, actor_id, admins)
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


def check_allowed(launch: Launch, actor_id: str, admins: Collection[str]) -> None:
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
