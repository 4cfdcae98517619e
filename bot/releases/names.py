"""What Herald knows by name (components, teams, tags) and the one way a typed name becomes one of them.

Must-exist names (a team, a channel's subscription) are refused when unknown, the close ones suggested.
May-be-new names (a repository's first release, a new tag) are taken as typed when nothing known is close;
when something is, the person picks (`UnclearName`) and nothing is stored until they do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from bot.core.errors import HeraldError, InvalidInput
from bot.core.matching import Named, Resolution, either, find_name, must_exist, slugify
from bot.directory.models import Component
from bot.launches.models import Launch
from bot.releases.models import Release, Subscription

COMPONENT = "component"
TAG = "tag"
TAG_PREFIX = "tag:"
LONGEST = 100  # characters of a stored component or tag key


class UnclearName(HeraldError):
    """A typed name close to known ones but none of them: the person picks one, or keeps what they typed."""

    def __init__(self, kind: str, typed: str, candidates: list[Named]) -> None:
        self.kind, self.typed, self.candidates = kind, typed, candidates
        super().__init__(f"I don't know a {kind} “{typed}”. Did you mean {either(c.name for c in candidates)}?")


def resolve_component(session: Session, typed: str, *, as_typed: bool = False) -> Resolution:
    """A component or launch by name, key or alias; `as_typed`: the person chose to keep a new name close to
    known ones (a button, or the CLI's --new-component)."""
    return _may_be_new(COMPONENT, typed, components(session), as_typed=as_typed)


def known_component(session: Session, typed: str) -> Resolution:
    """A component or launch that must exist already (a release's history names one): the same names as
    resolve_component, but an unknown or close one is refused with the names it looks like."""
    return must_exist(COMPONENT, typed, components(session))


def resolve_tag(session: Session, typed: str, *, as_typed: bool = False) -> Resolution:
    return _may_be_new(TAG, typed, tags(session), as_typed=as_typed)


def _may_be_new(kind: str, typed: str, known: list[Named], *, as_typed: bool) -> Resolution:
    typed = " ".join(typed.split())
    key = slugify(typed)
    if not key or len(key) > LONGEST:
        raise InvalidInput(f"Name the {kind} (at most {LONGEST} characters).")
    found = find_name(typed, known)
    if found.exact is not None:
        return Resolution(found.exact.key, found.exact.name, known=True, typed=typed)
    if found.close and not as_typed:
        raise UnclearName(kind, typed, found.close)
    return Resolution(key, typed, known=False, typed=typed)


def components(session: Session) -> list[Named]:
    """Directory components (name, key, aliases), launches, and what releases were recorded under; the
    directory's spelling first, as a release's display name takes it."""
    directory = [Named(slugify(key), name, (key, *aliases)) for key, name, aliases in
                 session.exec(select(Component.key, Component.name, Component.aliases)).all()]
    launches = [Named(key, name, (name_key,)) for key, name, name_key in
                session.exec(select(Launch.key, Launch.name, Launch.name_key)).all()]
    released = [Named(key, name) for key, name in
                session.exec(select(Release.component, Release.component_name).distinct()).all()]
    return _first_of_each_key([*directory, *launches, *released])


def tags(session: Session) -> list[Named]:
    """Tags of releases and directory components, and those channels subscribed to."""
    found: set[str] = set()
    for model in (Release, Component):
        for listed in session.exec(select(cast(model.tags, String)).distinct()).all():
            found.update(slugify(tag) for tag in json.loads(listed or "[]"))
    subscribed = session.exec(select(Subscription.target).where(col(Subscription.target).startswith(TAG_PREFIX)))
    found.update(target.removeprefix(TAG_PREFIX) for target in subscribed.all())
    return [Named(tag, tag) for tag in sorted(found - {""})]


def _first_of_each_key(things: Iterable[Named]) -> list[Named]:
    unique: dict[str, Named] = {}
    for thing in things:
        unique.setdefault(thing.key, thing)
    return list(unique.values())
