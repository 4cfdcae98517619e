"""Data builders for tests: launches as the service would store them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.core.matching import slugify
from bot.core.models import utcnow
from bot.directory.index import touch
from bot.directory.models import Component, Contact, Team, TeamMember
from bot.launches.changes import create_launch
from bot.launches.models import Launch, Risk, Stage


def add_launch(
    session: Session,
    name: str,
    *,
    stage: str = "building",
    target: str | None = None,
    owner: str = "U0ANN",
    risk: str = "on_track",
    risk_reason: str | None = None,
    channel: str | None = None,
    done: int = 0,
) -> Launch:
    """A launch made the way Herald makes one: through the launch service's own create path."""
    launch = create_launch(session, name=name, actor_id=owner, now=utcnow(), owner_id=owner, channel_id=channel,
                           target=date.fromisoformat(target) if target else None, stage=Stage(stage), risk=Risk(risk),
                           risk_reason=risk_reason, done=done)
    session.commit()
    session.refresh(launch)
    return launch


def add_team(session: Session, name: str, *, members: list[str] = (), channel: str | None = None) -> Team:
    team = Team(key=slugify(name), name=name, channel=channel)
    session.add(team)
    session.flush()
    session.add_all(TeamMember(team_id=team.id, contact_id=contact(session, user).id) for user in members)
    session.commit()
    session.refresh(team)
    return team


def contact(session: Session, slack_user_id: str | None, *, ref: str | None = None, deactivated: bool = False) -> Contact:
    ref = ref or slack_user_id
    found = session.exec(select(Contact).where(Contact.ref == ref)).first()
    if found:
        return found
    found = Contact(ref=ref, slack_user_id=slack_user_id, deactivated=deactivated)
    session.add(found)
    session.flush()
    return found


def add_component(
    session: Session,
    name: str,
    *,
    team: Team | None = None,
    primary: Contact | str | None = None,
    backup: str | None = None,
    aliases: list[str] = (),
    tags: list[str] = (),
    source: str | None = "owners.yaml",
) -> Component:
    primary_contact = contact(session, primary) if isinstance(primary, str) else primary
    component = Component(
        key=slugify(name),
        name=name,
        team_id=team.id if team else None,
        primary_contact_id=primary_contact.id if primary_contact else None,
        backup_contact_id=contact(session, backup).id if backup else None,
        aliases=list(aliases),
        tags=list(tags),
        source=source,
    )
    session.add(component)
    touch(session)
    session.commit()
    session.refresh(component)
    return component
