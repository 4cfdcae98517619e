"""What people ask of the ownership directory, one unit of work each: listeners call these and render the result."""

from __future__ import annotations

from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.directory import entries
from bot.directory.entries import Card, Changed, Gap, Lookup
from bot.directory.models import Component, Team
from bot.directory.people import Person

SETTABLE = entries.SETTABLE


def lookup(herald: Herald, query: str) -> Lookup:
    with session_scope(herald.engine) as session:
        return entries.lookup(session, query)


def card(herald: Herald, component_id: int) -> Card:
    with session_scope(herald.engine) as session:
        return entries.card(session, component_id)


def owned_by_person(herald: Herald, slack_user_id: str) -> list[Component]:
    with session_scope(herald.engine) as session:
        return entries.owned_by_person(session, slack_user_id)


def owned_by_team(herald: Herald, team_name: str) -> tuple[Team, list[Component]]:
    with session_scope(herald.engine) as session:
        return entries.owned_by_team(session, team_name)


def gaps(herald: Herald) -> list[Gap]:
    with session_scope(herald.engine) as session:
        return entries.gaps(session)


def field_at(words: list[str]) -> int:
    """Where the field is in `<thing> <field> <value>`: the thing is whatever comes before it."""
    cut = next((i for i, w in enumerate(words) if i > 0 and w.lower() in SETTABLE), None)
    if cut is None or cut == len(words) - 1:
        raise InvalidInput("Use `/whoowns set <thing> team|primary|backup|channel|escalation <value>`; "
                           "`none` clears a field.")
    return cut


def set_field(herald: Herald, *, words: list[str], actor_id: str) -> Changed:
    """`<thing> <field> <value>` as typed (mentions as plain IDs); the thing must name an entry exactly
    (entries.component_named)."""
    cut = field_at(words)
    with session_scope(herald.engine) as session:
        component = entries.component_named(session, " ".join(words[:cut]))
        return entries.change(session, key=component.key, field_name=words[cut],
                              value=" ".join(words[cut + 1:]), actor_id=actor_id, admins=herald.settings.admins)


def claim(herald: Herald, *, name: str, actor_id: str) -> Card:
    with session_scope(herald.engine) as session:
        return entries.claim(session, name=name, actor_id=actor_id)


def contacts_to_recheck(herald: Herald, slack_user_ids: set[str]) -> set[str]:
    with session_scope(herald.engine) as session:
        return entries.contacts_to_recheck(session, slack_user_ids, now=herald.clock())


def record_slack_status(herald: Herald, people: dict[str, Person]) -> int:
    with session_scope(herald.engine) as session:
        return entries.record_slack_status(session, people, now=herald.clock())
