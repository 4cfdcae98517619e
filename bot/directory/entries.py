"""Who owns what: cards, what a person or team owns, gaps, and changes and claims made from Slack."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.matching import CLEAR_WORDS, Named, find_name, slugify
from bot.core.models import utcnow
from bot.core.slack_ids import is_channel_id, is_user_id
from bot.directory.index import Match, index_for, touch
from bot.directory.models import Component, Contact, OwnershipChange, Team, TeamMember
from bot.directory.names import resolve_team
from bot.directory.people import Person

RECHECK_AFTER = timedelta(days=1)
CONFIDENT = 85  # a best match scoring this much is the answer; below, the user picks
SETTABLE = ("team", "primary", "backup", "channel", "escalation")


class UnknownEntry(InvalidInput):
    """A change naming no entry exactly, but some closely: they are offered, and nothing changes until one is
    picked (a typo's best guess is never changed in its place)."""

    def __init__(self, typed: str, candidates: list[Named]) -> None:
        self.typed, self.candidates = typed, candidates
        super().__init__(f"I don't know a component “{typed}”. Did you mean {' or '.join(c.name for c in candidates)}?")


@dataclass(frozen=True)
class Card:
    """Everything the answer to "who owns X?" shows."""

    component: Component
    team: Team | None
    primary: Contact | None
    backup: Contact | None

    @property
    def stale_contacts(self) -> list[Contact]:
        return [c for c in (self.primary, self.backup) if c and (c.deactivated or not c.slack_user_id)]

    @property
    def contact_ids(self) -> frozenset[str]:
        """The Slack users the card shows."""
        return frozenset(c.slack_user_id for c in (self.primary, self.backup) if c and c.slack_user_id)

    @property
    def channel(self) -> str | None:
        return self.component.channel or (self.team.channel if self.team else None)

    @property
    def escalation(self) -> str | None:
        return self.component.escalation or (self.team.escalation if self.team else None)


@dataclass(frozen=True)
class Changed:
    """An entry after `/whoowns set`, and what the field was and is now (as stored: names, user and channel IDs)."""

    card: Card
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Lookup:
    query: str
    card: Card | None
    others: list[Match]


@dataclass(frozen=True)
class Gap:
    """An entry nobody can be reached for: no contact, or one who left or is not in Slack."""

    component: Component
    reason: str


def lookup(session: Session, query: str) -> Lookup:
    query = " ".join(query.split()).strip("?")
    if not query:
        raise InvalidInput("Ask about something: `/whoowns billing`, `/whoowns @person`, `/whoowns team payments`.")
    matches = index_for(session.get_bind()).search(session, query, limit=4)
    if not matches or matches[0].score < CONFIDENT:
        return Lookup(query, None, matches[:3])
    return Lookup(query, card(session, matches[0].component_id), matches[1:4])


def component_named(session: Session, typed: str) -> Component:
    """The entry `typed` names exactly: its key, name or an alias, case, spaces and punctuation aside.

    Lookups may guess (they change nothing); a change may not: close names raise UnknownEntry.
    """
    rows = session.exec(select(Component.key, Component.name, Component.aliases)).all()
    found = find_name(typed, [Named(key, name, tuple(aliases)) for key, name, aliases in rows], limit=3)
    if found.close:
        raise UnknownEntry(typed, found.close)
    if found.exact is None:
        raise InvalidInput(f"I can't find “{typed}” in the directory; `/whoowns {typed}` shows close names.")
    return session.exec(select(Component).where(Component.key == found.exact.key)).one()


def card(session: Session, component_id: int) -> Card:
    component = session.get_one(Component, component_id)
    contacts = {
        contact.id: contact
        for contact in session.exec(
            select(Contact).where(col(Contact.id).in_([component.primary_contact_id, component.backup_contact_id]))
        ).all()
    }
    team = session.get(Team, component.team_id) if component.team_id else None
    return Card(component, team, contacts.get(component.primary_contact_id), contacts.get(component.backup_contact_id))


def owned_by_person(session: Session, slack_user_id: str) -> list[Component]:
    """What a person owns as primary or backup contact, or through a team they are in."""
    contact_ids = select(Contact.id).where(Contact.slack_user_id == slack_user_id)
    team_ids = select(TeamMember.team_id).where(col(TeamMember.contact_id).in_(contact_ids))
    return list(
        session.exec(
            select(Component)
            .where(
                or_(
                    col(Component.primary_contact_id).in_(contact_ids),
                    col(Component.backup_contact_id).in_(contact_ids),
                    col(Component.team_id).in_(team_ids),
                )
            )
            .order_by(Component.name)
        ).all()
    )


def owned_by_team(session: Session, team_name: str) -> tuple[Team, list[Component]]:
    wanted = slugify(team_name.removeprefix("@"))
    teams = session.exec(select(Team)).all()
    team = next((t for t in teams if t.key == wanted), None) or next(
        (t for t in teams if wanted and wanted in t.key), None
    )
    if team is None:
        names = ", ".join(sorted(t.name for t in teams)[:10]) or "none yet"
        raise InvalidInput(f"I don't know a team “{team_name}”. Teams: {names}.")
    components = session.exec(select(Component).where(Component.team_id == team.id).order_by(Component.name)).all()
    return team, list(components)


def gaps(session: Session, *, where: tuple = ()) -> list[Gap]:
    """Entries whose primary contact is missing, deactivated or not found in Slack; `where` narrows them."""
    rows = session.exec(
        select(Component, Contact)
        .join(Contact, col(Component.primary_contact_id) == Contact.id, isouter=True)
        .where(or_(col(Component.primary_contact_id).is_(None), col(Contact.deactivated),
                   col(Contact.slack_user_id).is_(None)), *where)
        .order_by(Component.name)
    ).all()
    found: list[Gap] = []
    for component, contact in rows:
        if contact is None:
            found.append(Gap(component, "no primary contact"))
        elif contact.deactivated:
            found.append(Gap(component, f"{contact.display_name or contact.ref} is deactivated"))
        elif not contact.slack_user_id:
            found.append(Gap(component, f"{contact.ref} is not in Slack"))
    return found


def change(
    session: Session, *, key: str, field_name: str, value: str, actor_id: str, admins: Collection[str]
) -> Changed:
    component = session.exec(select(Component).where(Component.key == key)).one()
    _check_may_change(session, component, actor_id, admins)
    field_name = field_name.lower()
    if field_name not in SETTABLE:
        raise InvalidInput(f"I can't set “{field_name}”. Fields: {', '.join(SETTABLE)}.")
    old, new = _apply(session, component, field_name, value.strip())
    if old != new:
        component.updated_at = utcnow()
        session.add(component)
        touch(session)
        session.add(OwnershipChange(component_id=component.id, actor_id=actor_id, field=field_name,
                                    old_value=old, new_value=new))
    session.flush()
    return Changed(card(session, component.id), field_name, old, new)


def claim(session: Session, *, name: str, actor_id: str) -> Card:
    """Record the person clicking as primary owner of a new entry, or of one that has none."""
    name = " ".join(name.split())
    key = slugify(name)
    if not key or len(name) > 100:
        raise InvalidInput("Claim something with a name of 1 to 100 characters.")
    component = session.exec(select(Component).where(Component.key == key)).first()
    if component is None:
        component = Component(key=key, name=name)
        session.add(component)
        session.flush()
    elif (component.primary_contact_id is not None and (contact := session.get(Contact, component.primary_contact_id))
          and contact.slack_user_id and not contact.deactivated):
        raise NotAllowed(f"“{component.name}” already has an owner: ask them, or an admin, to hand it over.")
    me = contact_for_user(session, actor_id)
    component.primary_contact_id, component.updated_at = me.id, utcnow()
    session.add(component)
    touch(session)
    session.add(OwnershipChange(component_id=component.id, actor_id=actor_id, field="primary",
                                new_value=actor_id))
    session.flush()
    return card(session, component.id)


def contacts_to_recheck(session: Session, slack_user_ids: Collection[str], *, now: datetime) -> set[str]:
    """Of these users, the ones whose Slack status Herald has not checked for a day."""
    rows = session.exec(select(Contact.slack_user_id, Contact.checked_at).where(
        col(Contact.slack_user_id).in_(slack_user_ids))).all()
    return {user_id for user_id, checked in rows if checked is None or now - checked > RECHECK_AFTER}


def record_slack_status(session: Session, people: dict[str, Person], *, now: datetime) -> int:
    """Store who is deactivated now; return how many contacts changed."""
    changed = 0
    for contact in session.exec(select(Contact).where(col(Contact.slack_user_id).in_(people))).all():
        person = people[contact.slack_user_id]
        changed += contact.deactivated != person.deactivated
        contact.deactivated, contact.display_name, contact.checked_at = person.deactivated, person.display_name, now
        session.add(contact)
    return changed


def contact_for_user(session: Session, slack_user_id: str) -> Contact:
    contact = session.exec(select(Contact).where(Contact.slack_user_id == slack_user_id)).first()
    if contact is None:
        contact = Contact(ref=slack_user_id, slack_user_id=slack_user_id)
        session.add(contact)
        session.flush()
    return contact


def _check_may_change(session: Session, component: Component, actor_id: str, admins: Collection[str]) -> None:
    """With no admins configured everyone may; otherwise admins and the entry's current owners."""
    if not admins or actor_id in admins:
        return
    if actor_id not in component_owners(session, component):
        raise NotAllowed(f"Only the owners of “{component.name}” or a Herald admin can change it.")


def component_owners(session: Session, component: Component) -> set[str]:
    """The Slack users who own an entry: its primary and backup contacts and its team's members."""
    owners = {c.slack_user_id for c in session.exec(
        select(Contact).where(col(Contact.id).in_([component.primary_contact_id, component.backup_contact_id]))
    ).all()}
    if component.team_id:
        owners |= set(session.exec(
            select(Contact.slack_user_id).join(TeamMember, col(TeamMember.contact_id) == Contact.id)
            .where(TeamMember.team_id == component.team_id)
        ).all())
    return {owner for owner in owners if owner}


def _apply(session: Session, component: Component, field_name: str, value: str) -> tuple[str | None, str | None]:
    """Set one field; a clearing word (CLEAR_WORDS) empties any of them."""
    clear = value.lower() in CLEAR_WORDS
    if field_name == "team":
        team = None if clear else _team_named(session, value)
        old = session.get(Team, component.team_id).name if component.team_id else None
        component.team_id = team.id if team else None
        return old, team.name if team else None
    if field_name in ("primary", "backup"):
        if not clear and not is_user_id(value):
            raise InvalidInput(f"Name the {field_name} contact with an @mention, not “{value}”.")
        attribute = f"{field_name}_contact_id"
        previous = getattr(component, attribute)
        old = session.get(Contact, previous).ref if previous else None
        setattr(component, attribute, None if clear else contact_for_user(session, value).id)
        return old, None if clear else value
    if clear:
        value = ""
    if field_name == "channel" and value and not is_channel_id(value):
        raise InvalidInput(f"“{value}” is not a channel. Pick one with #, like `#team-payments`.")
    if len(value) > 500:
        raise InvalidInput(f"A {field_name} can be at most 500 characters.")
    old = getattr(component, field_name)
    setattr(component, field_name, value or None)
    return old, value or None


def _team_named(session: Session, name: str) -> Team:
    """A team the directory knows (the one team resolver); a typo is answered, never made a new team."""
    key = resolve_team(session, name.removeprefix("@")).key
    return session.exec(select(Team).where(Team.key == key)).one()

