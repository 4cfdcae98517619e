"""What people do with launches, one unit of work each: listeners call these and render the result.

Each takes the Herald container and plain values (the words as typed, IDs), opens its own
transaction, and raises domain errors with messages fit to show as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.core.db import session_scope
from bot.core.errors import InvalidInput, LaunchNotFound
from bot.core.herald import Herald
from bot.launches import changes, checklist, read
from bot.launches.changes import Change
from bot.launches.fields import SETTABLE_FIELDS, parse_target
from bot.launches.follow_up import follow_up
from bot.launches.history import HistoryPage, history_page, page_number
from bot.launches.models import Launch
from bot.launches.read import Board, LaunchDetail
from bot.launches.signoff_gate import override_reason

RENAME_WORD = "to"
PAGE_WORD = "page"


def board(herald: Herald, *, everything: bool = False) -> Board:
    with session_scope(herald.engine) as session:
        return read.board(session, everything=everything)


def detail(herald: Herald, reference: str) -> LaunchDetail:
    with session_scope(herald.engine) as session:
        return read.launch_detail(session, reference)


def history(herald: Herald, *, words: list[str]) -> HistoryPage:
    """`<launch> [page N]` as typed. Words after "page" that are not a number may end the launch's own name
    ("Checkout page one"); when they do not, and the words before name a launch, the answer is how pages count."""
    paged = len(words) > 2 and words[-2].lower() == PAGE_WORD
    named, page = (words[:-2], words[-1]) if paged else (words, "1")
    with session_scope(herald.engine) as session:
        number = page_number(page)
        if number is not None:
            return history_page(session, read.find_launch(session, " ".join(named)), number)
        try:
            return history_page(session, read.find_launch(session, " ".join(words)))
        except LaunchNotFound as not_found:
            try:
                launch = read.find_launch(session, " ".join(named))
            except LaunchNotFound:
                raise not_found from None
        raise InvalidInput(f"Pages are numbered from 1: `/launch history {launch.name} {PAGE_WORD} 2`.")


def history_by_id(herald: Herald, launch_id: int, *, page: int) -> HistoryPage:
    """The page a Newer or Older button names, by the launch's id: it survives a rename."""
    with session_scope(herald.engine) as session:
        return history_page(session, read.launch_by_id(session, launch_id), page)


def create(herald: Herald, *, name: str, actor_id: str, target: str | None, owner_id: str | None,
           channel_id: str | None, past: bool = False) -> LaunchDetail:
    with session_scope(herald.engine) as session:
        launch = changes.create_launch(
            session, name=name, actor_id=actor_id, now=herald.clock(), owner_id=owner_id, channel_id=channel_id,
            target=parse_target(target, today=herald.today(), past=past) if target else None)
        return read.detail_of(session, launch)


def set_field(herald: Herald, *, words: list[str], actor_id: str) -> Change:
    """`<launch> <field> <value> [--override "reason"]` as typed (mentions as plain IDs); the name ends where the
    store says a launch name ends; an admin's override lets a launch past missing sign-offs."""
    words, override = override_reason(words)
    with session_scope(herald.engine) as session:
        reference, rest = read.split_reference(session, words, before=SETTABLE_FIELDS)
        if not reference or not rest:
            raise InvalidInput(f"Use `/launch set <launch> <field> <value>`; fields: {', '.join(SETTABLE_FIELDS)}.")
        field_name, value = rest[0], " ".join(rest[1:])
        if not value:
            raise InvalidInput(f"Give a value: `/launch set {reference} {field_name} <value>`.")
        return _changed(herald, session, changes.change_field(
            session, launch=read.find_launch(session, reference), field_name=field_name, value=value,
            actor_id=actor_id, admins=herald.settings.admins, today=herald.today(), now=herald.clock(),
            override=override))


def check(herald: Herald, *, words: list[str], done: bool, actor_id: str) -> Change:
    return _edit_checklist(
        herald, words, f"`/launch {'check' if done else 'uncheck'} <launch> <item number or name>`",
        lambda session, launch, item: checklist.check_item(
            session, launch=launch, item=item, done=done, actor_id=actor_id, admins=herald.settings.admins,
            now=herald.clock()))


def add_item(herald: Herald, *, words: list[str], actor_id: str) -> Change:
    return _edit_checklist(
        herald, words, "`/launch add-item <launch> <item>`",
        lambda session, launch, label: checklist.add_item(
            session, launch=launch, label=label, actor_id=actor_id, admins=herald.settings.admins,
            now=herald.clock()))


def remove_item(herald: Herald, *, words: list[str], actor_id: str) -> Change:
    return _edit_checklist(
        herald, words, "`/launch remove-item <launch> <item number or name>`",
        lambda session, launch, item: checklist.remove_item(
            session, launch=launch, item=item, actor_id=actor_id, admins=herald.settings.admins,
            now=herald.clock()))


def _edit_checklist(herald: Herald, words: list[str], usage: str,
                    edit: Callable[[Session, Launch, str], Change]) -> Change:
    """`<launch> <item>` as typed: the launch name ends where the store says one does, the item is the rest."""
    with session_scope(herald.engine) as session:
        reference, rest = read.split_reference(session, words)
        if not reference or not rest:
            raise InvalidInput(f"Use {usage}.")
        return _changed(herald, session, edit(session, read.find_launch(session, reference), " ".join(rest)))


def rename(herald: Herald, *, words: list[str], actor_id: str) -> Change:
    """`<launch> to <new name>`; "to" inside the launch's own name is read as part of it."""
    with session_scope(herald.engine) as session:
        reference, rest = read.split_reference(session, words, before={RENAME_WORD})
        if not reference or len(rest) < 2:
            raise InvalidInput("Use `/launch rename <launch> to <new name>`.")
        return _changed(herald, session, changes.rename_launch(
            session, launch=read.find_launch(session, reference), new_name=" ".join(rest[1:]), actor_id=actor_id,
            admins=herald.settings.admins, now=herald.clock()))


def for_update_form(herald: Herald, launch_id: int, *, actor_id: str) -> Launch:
    """The launch the App Home's Update button names, if this person may change it: no form is offered otherwise."""
    with session_scope(herald.engine) as session:
        launch = read.launch_by_id(session, launch_id)
        changes.check_allowed(launch, actor_id, herald.settings.admins)
        return launch


def update_from_form(herald: Herald, *, launch_id: int, stage: str, risk: str, reason: str, actor_id: str) -> Change:
    """Stage and risk from the App Home form: both changes, or neither."""
    with session_scope(herald.engine) as session:
        launch = read.launch_by_id(session, launch_id)
        common = {"launch": launch, "actor_id": actor_id, "admins": herald.settings.admins, "today": herald.today(),
                  "now": herald.clock()}
        moved = changes.change_field(session, field_name="stage", value=stage, **common)
        rated = changes.change_field(session, field_name="risk", value=f"{risk} {reason}".strip(), **common)
        return _changed(herald, session, Change(launch, moved.changes + rated.changes))


def _changed(herald: Herald, session: Session, change: Change) -> Change:
    follow_up(session, change, now=herald.clock())
    return change
