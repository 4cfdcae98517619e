"""What people do with releases from Slack, one unit of work each: listeners call these and render the result."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.matching import Named, Resolution, find_name, slugify
from bot.core.render import Message
from bot.core.roles import Roles
from bot.releases import permissions, recording
from bot.releases.announcement import announcement
from bot.releases.history import changes_of
from bot.releases.models import Release, ReleaseChange
from bot.releases.names import COMPONENT, TAG_PREFIX, UnclearName, known_component, resolve_component
from bot.releases.recording import ReleaseInput, Target


@dataclass(frozen=True)
class Recorded:
    """A release just recorded, and where it goes."""

    name: str
    version: str
    announce_at: datetime
    sent_now: bool
    channels: int


def preview(herald: Herald, data: ReleaseInput, *, channel_id: str) -> Message:
    """The announcement as `channel_id` would see it, before anything is recorded."""
    release = Release(component=slugify(data.component), component_name=data.component, version=data.version,
                      title=data.title, notes=data.notes, link=data.link, prerelease=False, source=data.source)
    with session_scope(herald.engine) as session:
        return announcement(session, herald.renderer, release, channel_id=channel_id)


def release_component(herald: Herald, typed: str, *, as_typed: bool = False) -> Resolution:
    """The component or launch a release from Slack is recorded under (see names.resolve_component)."""
    with session_scope(herald.engine) as session:
        return resolve_component(session, typed, as_typed=as_typed)


@dataclass(frozen=True)
class Saved:
    """What submitting the release form did."""

    release_id: int
    edited: bool  # the version was recorded before, so this edited it
    changed: bool  # False: the form said what the release already says, and nothing was recorded


def release_to_edit(herald: Herald, data: ReleaseInput) -> Release | None:
    """Before the form opens: the release it would edit (None: a new one), so that the form shows what it says.

    A person who may not announce (or edit) it is told so, not given a form; so is one naming a withdrawn
    version, which has nothing left to edit.
    """
    with session_scope(herald.engine) as session:
        existing = _check_may_record(session, data, herald.roles)
        if existing is None and (withdrawn := _latest(session, slugify(data.component), data.version)) is not None:
            raise InvalidInput(f"{withdrawn.component_name} {withdrawn.version} was withdrawn: there is nothing "
                               "left to edit, and it is not announced again. Record a new version instead.")
        return existing


def record(herald: Herald, data: ReleaseInput) -> int:
    return save(herald, data).release_id


def save(herald: Herald, data: ReleaseInput, *, keep_notes: bool = False) -> Saved:
    """Record a release, or edit the one recorded under its version (only what differs is changed);
    `keep_notes`: an edit leaves the notes as they are (the form could not hold them)."""
    with session_scope(herald.engine) as session:
        existing = _check_may_record(session, data, herald.roles)
        revision = existing.revision if existing is not None else None
        if keep_notes and existing is not None:
            data = replace(data, notes=existing.notes)
        release, stored = recording.record_release_once(session, data, now=herald.clock())
        return Saved(release.id, edited=not stored, changed=stored or release.revision != revision)


def _check_may_record(session: Session, data: ReleaseInput, roles: Roles) -> Release | None:
    """The release recording `data` would edit, once the person is known to be allowed to."""
    existing = recording.find_release(session, data)
    actor_id = data.created_by or ""
    if existing is not None:  # recording it again edits it
        permissions.check_may_edit(session, existing, actor_id, roles)
    else:
        permissions.check_may_announce(session, slugify(data.component), data.component.strip(), actor_id, roles)
    return existing


def recorded(herald: Herald, release_id: int) -> Recorded:
    with session_scope(herald.engine) as session:
        release = session.get_one(Release, release_id)
        return Recorded(release.component_name, release.version, release.announce_at, release.fanned_out,
                        len(recording.channels_for(session, release)))


@dataclass(frozen=True)
class History:
    release: Release
    changes: list[ReleaseChange]


def history(herald: Herald, *, component: str, version: str) -> History:
    """A release's whole trail: recorded, then every edit and withdrawal in order. The component must be one
    Herald knows (by name, key or alias), as `/launch releases` lists it."""
    with session_scope(herald.engine) as session:
        named = known_component(session, component)
        release = _latest(session, named.key, version)
        if release is None:
            raise InvalidInput(f"There is no release {named.name} {version.strip()}.")
        return History(release, changes_of(session, release))


def _latest(session: Session, key: str, version: str) -> Release | None:
    """The release of a component's version: the live one, else the latest withdrawn (it has a trail too)."""
    return session.exec(select(Release).where(Release.component == key, Release.version == version.strip())
                        .order_by(col(Release.withdrawn), col(Release.id).desc())).first()


class Outcome(StrEnum):
    RECORDED = "recorded"
    UPDATED = "updated"
    WITHDRAWN = "withdrawn"
    UNKNOWN = "unknown"
    NOTHING_TO_EDIT = "nothing to edit"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    release_id: int | None = None


PUBLISHING = {"published", "released", "prereleased", "publish"}  # GitHub's actions, and the CI webhook's
EDITING = {"edited", "edit"}
WITHDRAWING = {"deleted", "withdraw"}


def apply_webhook(herald: Herald, action: str, data: ReleaseInput) -> Applied:
    """A webhook's release event: publish (once, however often it comes), edit, or withdraw."""
    with session_scope(herald.engine) as session:
        existing = recording.find_release(session, data)
        if action in WITHDRAWING:
            if existing is None:
                return Applied(Outcome.UNKNOWN)
            recording.withdraw_release(session, existing, actor=recording.actor_of(data),
                                       now=herald.clock())
            return Applied(Outcome.WITHDRAWN, existing.id)
        if action in EDITING and existing is None:
            return Applied(Outcome.NOTHING_TO_EDIT)
        if action not in PUBLISHING | EDITING:
            return Applied(Outcome.IGNORED)
        release, stored = recording.record_release_once(session, data, now=herald.clock())
        return Applied(Outcome.RECORDED if stored else Outcome.UPDATED, release.id)  # also for a lost race


def subscribe(herald: Herald, *, channel_id: str, spec: str, prereleases: bool, actor_id: str,
              as_typed: bool = False) -> Target:
    """`as_typed`: the person chose to keep a name close to known ones (see names.UnclearName)."""
    with session_scope(herald.engine) as session:
        if not as_typed:
            _ask_if_like_all(session, spec)
        return recording.subscribe(session, channel_id=channel_id, spec=spec, prereleases=prereleases,
                                   actor_id=actor_id, roles=herald.roles, as_typed=as_typed)


def _ask_if_like_all(session: Session, spec: str) -> None:
    """`all` is a target as much as a component is: a name like it ("al") that no component has exactly is
    asked about with `all` among the names meant, rather than stored as a new component."""
    spec = spec.strip()
    if spec.lower() == recording.ALL or spec.lower().startswith(TAG_PREFIX):
        return
    like_all = find_name(spec, [Named(recording.ALL, recording.ALL)]).close
    if not like_all:
        return
    try:
        if resolve_component(session, spec).known:
            return
        others: list[Named] = []
    except UnclearName as unclear:
        others = unclear.candidates
    raise UnclearName(COMPONENT, spec, [*like_all, *others])


def unsubscribe(herald: Herald, *, channel_id: str, spec: str, actor_id: str) -> Target:
    with session_scope(herald.engine) as session:
        return recording.unsubscribe(session, channel_id=channel_id, spec=spec, actor_id=actor_id,
                                     roles=herald.roles)


def subscriptions(herald: Herald, *, channel_id: str) -> list[tuple[Target, bool]]:
    """What the channel gets, and whether pre-releases too."""
    with session_scope(herald.engine) as session:
        return [(Target(s.target), s.prereleases) for s in recording.subscriptions(session, channel_id=channel_id)]
