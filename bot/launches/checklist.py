"""A launch's readiness checklist: naming an item the ways people do, ticking, adding and removing items.

An item is named by its number (`1`, `1.`, `#1`), its label, or its line as the card shows it,
copied with or without the box (`✅ 1. Docs and release notes ready`). Numbers are positions in
the list as it is now, so after a removal the items below move up one, as on the card. So that a
number never means two items, no label reads as one: `7`, `#7.` and `3. Extra` (the card's own
numbering) are refused; `Step 7` and `3.5 rollout` are labels.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.errors import InvalidInput
from bot.core.matching import slugify
from bot.launches.changes import Change, check_allowed
from bot.launches.fields import one_line
from bot.launches.models import ChecklistItem, Launch, LaunchChange

MAX_ITEM_LENGTH = 150
# What a copied card line starts with: its box, as an emoji or as Slack's :code:.
_BOX = re.compile(r"^(?:\s|:[a-z0-9_+-]+:|[\u2610-\u2612\u2705\u2714\u2B1B\u2B1C\U0001F532\U0001F533\uFE0F])+")
_NUMBERED = re.compile(r"#?(\d+)\.?(?:\s+(.*))?", re.DOTALL)
# A label `find_item` would read as a position, alone or followed by a label as on the card.
_LIKE_A_NUMBER = re.compile(r"#?\d+(?:\.(?:\s.*)?)?", re.DOTALL)


def check_item(
    session: Session, *, launch: Launch, item: str, done: bool, actor_id: str, admins: Collection[str], now: datetime
) -> Change:
    check_allowed(launch, actor_id, admins)
    target = find_item(items_of(session, launch), item)
    if target.done == done:
        return Change(launch, [])
    target.done, target.done_by, target.done_at = done, (actor_id if done else None), (now if done else None)
    change = _recorded(launch, actor_id, now, f"{'☑' if done else '☐'} {target.label}")
    session.add_all([target, change, launch])
    return Change(launch, [change])


def add_item(
    session: Session, *, launch: Launch, label: str, actor_id: str, admins: Collection[str], now: datetime
) -> Change:
    check_allowed(launch, actor_id, admins)
    label = one_line(label, "A checklist item")
    if not label:
        raise InvalidInput("Say what the checklist item is: `/launch add-item <launch> <item>`.")
    if _LIKE_A_NUMBER.fullmatch(_BOX.sub("", label)):
        raise InvalidInput(f"A checklist item can't be named like a number (“{label}”): the card numbers items "
                           "itself, and a number names the item in that place. Put a word in, like “Step 7”.")
    if len(label) > MAX_ITEM_LENGTH:
        raise InvalidInput(f"Checklist items can be at most {MAX_ITEM_LENGTH} characters; yours has {len(label)}.")
    last = session.exec(
        select(func.max(ChecklistItem.position)).where(ChecklistItem.launch_id == launch.id)
    ).one()
    change = _recorded(launch, actor_id, now, f"+ {label}")
    session.add_all([ChecklistItem(launch_id=launch.id, position=(last or 0) + 1, label=label), change, launch])
    return Change(launch, [change])


def remove_item(
    session: Session, *, launch: Launch, item: str, actor_id: str, admins: Collection[str], now: datetime
) -> Change:
    """Take an item off the checklist; the history keeps it with the number it had."""
    check_allowed(launch, actor_id, admins)
    items = items_of(session, launch)
    target = find_item(items, item)
    change = _recorded(launch, actor_id, now, f"− {items.index(target) + 1}. {target.label}")
    session.delete(target)
    session.add_all([change, launch])
    return Change(launch, [change])


def items_of(session: Session, launch: Launch) -> list[ChecklistItem]:
    return list(session.exec(
        select(ChecklistItem).where(ChecklistItem.launch_id == launch.id).order_by(ChecklistItem.position)
    ).all())


def find_item(items: list[ChecklistItem], reference: str) -> ChecklistItem:
    """The item `reference` names: by number alone, else by label (a card line's, or the whole of what was
    typed), exactly or by a unique part."""
    typed = " ".join(reference.split())
    copied = _BOX.sub("", typed)
    numbered = _NUMBERED.fullmatch(copied)
    if numbered and not numbered.group(2):
        if 1 <= int(numbered.group(1)) <= len(items):
            return items[int(numbered.group(1)) - 1]
    else:
        for label in [copied] + ([numbered.group(2)] if numbered else []):
            wanted = slugify(label)
            exact = [item for item in items if slugify(item.label) == wanted]
            partial = [item for item in items if wanted and wanted in slugify(item.label)]
            for found in (exact, partial):
                if len(found) == 1:
                    return found[0]
    named = " · ".join(f"`{i}. {item.label}`" for i, item in enumerate(items, start=1))
    raise InvalidInput(f"Which checklist item is “{typed}”? Name it by its number or as the card shows it: "
                       f"{named or 'this launch has no checklist items.'}")


def _recorded(launch: Launch, actor_id: str, now: datetime, what: str) -> LaunchChange:
    launch.updated_at = now
    return LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field="checklist", new_value=what)
