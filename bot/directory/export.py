"""The directory written back out in Herald's own owners formats, so `herald import owners` reads it again.

YAML holds teams (with their members) and components; CSV holds components only, as that format has
no team rows. Entries are written one at a time, and empty fields are left out, as a person would.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, TextIO

import yaml
from sqlmodel import Session, select

from bot.directory.imports.formats import COMPONENT_KEYS
from bot.directory.models import Component, Contact, Team, TeamMember

CSV_LIST_SEPARATOR = ";"  # as the CSV reader splits aliases and tags


def write_owners_yaml(session: Session, out: TextIO) -> None:
    """Herald YAML: a `teams:` list, then a `components:` list."""
    teams, components = team_entries(session), component_entries(session)
    for section, entries in (("teams", teams), ("components", components)):
        for position, entry in enumerate(entries):
            if position == 0:
                out.write(f"{section}:\n")
            yaml.safe_dump([entry], out, sort_keys=False, allow_unicode=True)


def write_owners_csv(session: Session, out: TextIO) -> None:
    """Herald CSV: a header of the component keys, then one row per component."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COMPONENT_KEYS)
    for entry in component_entries(session):
        writer.writerow([_csv_cell(entry.get(key)) for key in COMPONENT_KEYS])


def team_entries(session: Session) -> Iterator[dict[str, Any]]:
    members: dict[int, list[str]] = {}
    for team_id, ref in session.exec(
        select(TeamMember.team_id, Contact.ref).join(Contact, Contact.id == TeamMember.contact_id).order_by(Contact.ref)
    ):
        members.setdefault(team_id, []).append(ref)
    for team in session.exec(select(Team).order_by(Team.key)):
        yield _filled(name=team.name, display_name=team.display_name, channel=team.channel,
                      slack_group=team.slack_group, escalation=team.escalation, members=members.get(team.id, []))


def component_entries(session: Session) -> Iterator[dict[str, Any]]:
    teams = dict(session.exec(select(Team.id, Team.name)).all())
    refs = dict(session.exec(select(Contact.id, Contact.ref)).all())
    for component in session.exec(select(Component).order_by(Component.key)):
        yield _filled(
            name=component.name,
            kind=component.kind if component.kind != "component" else None,  # the default, left out
            description=component.description,
            aliases=component.aliases,
            tags=component.tags,
            team=teams.get(component.team_id),
            primary=refs.get(component.primary_contact_id),
            backup=refs.get(component.backup_contact_id),
            channel=component.channel,
            escalation=component.escalation,
            runbook=component.runbook_url,
            repo=component.repo_url,
        )


def _filled(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, "", [])}


def _csv_cell(value: Any) -> str:
    if isinstance(value, list):
        return CSV_LIST_SEPARATOR.join(value)
    return value or ""
