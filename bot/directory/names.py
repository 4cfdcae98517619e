"""Teams by name, as every command that names one reads it (digest filters, insights, sign-offs, `/whoowns set`)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.matching import Named, Resolution, must_exist
from bot.directory.models import Team

TEAM = "team"


def teams(session: Session) -> list[Named]:
    return [Named(key, name, tuple(filter(None, [display]))) for key, name, display in
            session.exec(select(Team.key, Team.name, Team.display_name)).all()]


def resolve_team(session: Session, typed: str) -> Resolution:
    """A team that must exist: by key, name or display name; a typo is answered, never made a new team."""
    return must_exist(TEAM, typed, teams(session))
