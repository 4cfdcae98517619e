"""Ownership directory tables: teams, contacts, components and the history of changes made from Slack."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from bot.core.models import ChangeBase, utcnow


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True, index=True)
    name: str = Field(max_length=100)
    display_name: str | None = Field(default=None, max_length=200)
    slack_group: str | None = Field(default=None, max_length=100)
    channel: str | None = Field(default=None, max_length=100)  # a channel ID, or "#name" as written
    escalation: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    """A person as an owners file names them, and the Slack user that turned out to be."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=200, unique=True, index=True)  # e-mail, @handle or Slack user ID
    slack_user_id: str | None = Field(default=None, max_length=32, index=True)
    display_name: str | None = Field(default=None, max_length=200)
    deactivated: bool = False
    checked_at: datetime | None = None


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")


class Component(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)  # paths are keyed as written
    name: str = Field(max_length=200)
    kind: str = Field(default="component", max_length=40)
    description: str | None = Field(default=None, max_length=1000)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True, ondelete="SET NULL")
    primary_contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True, ondelete="SET NULL")
    backup_contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True, ondelete="SET NULL")
    channel: str | None = Field(default=None, max_length=100)
    escalation: str | None = Field(default=None, max_length=500)
    runbook_url: str | None = Field(default=None, max_length=500)
    repo_url: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class OwnershipChange(ChangeBase, table=True):
    """A change made to the directory from Slack."""

    __tablename__ = "ownership_change"

    component_id: int = Field(foreign_key="component.id", index=True, ondelete="CASCADE")


class DirectoryVersion(SQLModel, table=True):
    """One row counting changes to the directory, so every replica's in-memory index can tell it is behind
    by reading a single row instead of scanning the table."""

    __tablename__ = "directory_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
