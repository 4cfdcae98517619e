"""Whom a sign-off asks, and who may answer it.

A person is asked in their DM. A Slack user group: each member in their DM, the members as Slack names
them when the request is made. A directory team: in the team's channel when the directory gives it one
(a channel ID), else each member with a Slack user in their DM. Whoever was asked may answer for the
request; for a team, so may anyone the directory counts as a member when they answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.slack_ids import is_channel_id
from bot.directory.models import Contact, Team, TeamMember
from bot.directory.names import resolve_team
from bot.launches.signoff_models import SignoffAsk, SignoffRequest

TEAM_PREFIX = "team:"


class Kind(StrEnum):
    PERSON = "person"
    GROUP = "group"
    TEAM = "team"


@dataclass(frozen=True)
class Target:
    """One `<who>` of `/launch signoff <launch> request <who>…`, as the listener read it."""

    kind: Kind
    ref: str  # a user ID, a user group ID, or a team's name as typed
    label: str  # "@ben", "@support-team"; a team's label is its directory name
    members: tuple[str, ...] = field(default=())  # a user group's members, as Slack named them


@dataclass(frozen=True)
class Resolved:
    """A target as stored: the request's `who` and label, and the user or channel IDs its asks go to."""

    who: str
    label: str
    recipients: list[str]


def resolve(session: Session, target: Target) -> Resolved:
    if target.kind is Kind.PERSON:
        return Resolved(target.ref, target.label, [target.ref])
    if target.kind is Kind.GROUP:
        if not target.members:
            raise InvalidInput(f"The user group {target.label} has no members to ask.")
        return Resolved(target.ref, target.label, list(dict.fromkeys(target.members)))
    team = _team(session, resolve_team(session, target.ref).key)
    if is_channel_id(team.channel):
        return Resolved(TEAM_PREFIX + team.key, team.name, [team.channel])
    members = _team_members(session, team)
    if not members:
        raise InvalidInput(f"The team {team.name} has no channel and no member with a Slack account to ask: "
                           "set its channel or its members in the ownership directory.")
    return Resolved(TEAM_PREFIX + team.key, team.name, members)


def check_may_answer(session: Session, request: SignoffRequest, user_id: str) -> None:
    """Only someone asked answers for a request: a forwarded button pressed by anyone else changes nothing."""
    if user_id == request.who:
        return
    asked = session.exec(select(SignoffAsk.recipient).where(SignoffAsk.request_id == request.id)).all()
    if user_id in asked:
        return
    if request.who.startswith(TEAM_PREFIX):
        team = session.exec(select(Team).where(Team.key == request.who.removeprefix(TEAM_PREFIX))).first()
        if team is not None and user_id in _team_members(session, team):
            return
    raise NotAllowed(f"This sign-off was asked of {request.label}: only they can answer it.")


def _team(session: Session, key: str) -> Team:
    return session.exec(select(Team).where(Team.key == key)).one()


def _team_members(session: Session, team: Team) -> list[str]:
    """The team's members with a Slack account that is still active, as the directory has them now."""
    found = session.exec(
        select(Contact.slack_user_id).join(TeamMember, col(TeamMember.contact_id) == col(Contact.id))
        .where(TeamMember.team_id == team.id, col(Contact.slack_user_id).is_not(None), ~col(Contact.deactivated))
        .order_by(Contact.slack_user_id)
    ).all()
    return [user_id for user_id in found if user_id]
