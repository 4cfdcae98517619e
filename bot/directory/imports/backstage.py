"""Reading a Backstage catalog (YAML documents with `apiVersion: backstage.io/…`) into owner records.

Component, System, API, Resource and Domain entities become components (kind in lower case,
`metadata.title` as an alias); `spec.owner` names the team, or the primary contact when it is a
User; Groups become teams, and Users join the teams in their `spec.memberOf` by e-mail. A link
titled or addressed like a runbook is the runbook; the `github.com/project-slug` annotation, else
the first other link, is the repo. Annotations `slack.com/channel`, `pagerduty.com/service-id` and
`opsgenie.com/…` give the channel and escalation. Locations are followed to the files they name;
missing files are skipped.

The helpers that turn an entry's fields into a record live here too, and `bot.directory.imports.formats` imports
them for the other formats: it imports this module, so they cannot live there without a cycle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.directory.imports.records import (
    CHANNEL,
    ComponentRecord,
    InvalidEntry,
    OwnerFile,
    Problem,
    Source,
    TeamRecord,
    record_from,
    text_field,
)

BACKSTAGE_COMPONENT_KINDS = frozenset({"Component", "System", "API", "Resource", "Domain"})

def is_backstage(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and any(
        key.value == "apiVersion" and str(value.value).startswith("backstage.io/") for key, value in node.value)


@dataclass
class BackstageCatalog:
    """The people of a batch's Backstage entities. Who a bare owner name or a `memberOf` means is
    only known once every file of the batch has been read, so `settle` comes after the last."""

    users: dict[str, str] = field(default_factory=dict)  # Backstage user name -> contact reference
    memberships: list[tuple[str, str]] = field(default_factory=list)  # (team name, contact reference)
    bare_owners: list[ComponentRecord] = field(default_factory=list)  # group or user: settled at the end

    def read_entity(self, entity: dict[str, Any], source: Source, found: OwnerFile) -> list[Path]:
        """Adds the entity's component or team, or its problem, to `found`; a Location gives back the
        files it names, for the caller to read as part of the batch."""
        kind, metadata, spec = entity.get("kind"), _mapping(entity.get("metadata")), _mapping(entity.get("spec"))
        try:
            if kind in BACKSTAGE_COMPONENT_KINDS:
                found.components.append(self.owned(_backstage_component(kind, metadata, source), spec))
            elif kind == "Group":
                found.teams.append(_backstage_team(metadata, spec, source))
        except InvalidEntry as error:
            found.problems.append(Problem(source, str(error)))
        if kind == "User" and isinstance(metadata.get("name"), str):
            self.add_user(metadata["name"], spec)
        elif kind == "Location":
            return _location_targets(Path(source.path), spec)
        return []

    def owned(self, component: ComponentRecord, spec: dict[str, Any]) -> ComponentRecord:
        owner_kind, owner = _entity_ref(text_field(spec.get("owner"), "spec.owner"))
        if owner_kind == "user":
            component.primary = f"user:{owner}"
        else:
            component.team = owner
        if owner and owner_kind is None:
            self.bare_owners.append(component)
        return component

    def add_user(self, name: str, spec: dict[str, Any]) -> None:
        email = _mapping(spec.get("profile")).get("email")
        self.users[name] = email if isinstance(email, str) else f"@{name}"
        for team in spec.get("memberOf") or []:
            self.memberships.append((_entity_ref(str(team))[1], self.users[name]))

    def settle(self, found: OwnerFile) -> None:
        """A bare owner is a group unless only a User has that name; users become their e-mails, in
        every record of the batch (a Herald file may name `user:ben` too)."""
        groups = {team.name for team in found.teams}
        for component in self.bare_owners:
            if component.team in self.users and component.team not in groups:
                component.primary, component.team = f"user:{component.team}", None
        for component in found.components:
            component.primary, component.backup = self.contact(component.primary), self.contact(component.backup)
        teams = {team.name: team for team in found.teams}
        for team in teams.values():
            team.members = [self.contact(member) for member in team.members]
        for team_name, contact in self.memberships:
            if team_name in teams and contact not in teams[team_name].members:
                teams[team_name].members.append(contact)

    def contact(self, ref: str | None) -> str | None:
        if ref and ref.startswith("user:"):
            return self.users.get(_entity_ref(ref)[1], ref)
        return ref


def _location_targets(location: Path, spec: dict[str, Any]) -> list[Path]:
    """The files a Location names that exist; real catalogs, like the fixtures, name some that are gone."""
    paths = []
    for target in [spec.get("target"), *(spec.get("targets") or [])]:
        if isinstance(target, str) and "://" not in target and not Path(target).is_absolute():
            path = Path(os.path.normpath(location.parent / target))
            if path.is_file():
                paths.append(path)
    return paths


def _entity_ref(ref: str | None) -> tuple[str | None, str | None]:
    """`group:ns/x`, `user:x` or bare `x` as (kind or None, name): Herald has no namespaces."""
    if not ref:
        return None, None
    kind, _, name = ref.rpartition(":")
    return kind.lower() or None, name.rpartition("/")[2]


def _backstage_component(kind: str, metadata: dict[str, Any], source: Source) -> ComponentRecord:
    annotations = _mapping(metadata.get("annotations"))
    runbook, repo = _backstage_links(metadata.get("links"), annotations)
    title = text_field(metadata.get("title"), "metadata.title")
    return record_from(ComponentRecord, {
        "name": metadata.get("name"), "kind": kind.lower(), "description": metadata.get("description"),
        "aliases": [title] if title else [], "tags": metadata.get("tags"), "channel": _slack_channel(annotations),
        "escalation": _escalation(annotations), "runbook": runbook, "repo": repo,
    }, source, separator=",")


def _backstage_links(links: Any, annotations: dict[str, Any]) -> tuple[str | None, str | None]:
    """(runbook, repo): a link mentioning a runbook, and the repository or else the first other link."""
    runbook = repo = None
    for link in links if isinstance(links, list) else []:
        url, title = str(_mapping(link).get("url") or ""), str(_mapping(link).get("title") or "")
        if "runbook" in f"{url} {title}".lower():
            runbook = runbook or url
        else:
            repo = repo or url or None
    slug = annotations.get("github.com/project-slug")
    return runbook, f"https://github.com/{slug}" if slug else repo


def _slack_channel(annotations: dict[str, Any]) -> str | None:
    """The annotation is usually a bare channel name; Herald writes channels as `#name`."""
    channel = str(annotations.get("slack.com/channel") or "")
    return channel if not channel or CHANNEL[0].fullmatch(channel) else f"#{channel}"


def _escalation(annotations: dict[str, Any]) -> str | None:
    return next((f"{key}: {value}" for key, value in annotations.items()
                 if key == "pagerduty.com/service-id" or key.startswith("opsgenie.com/")), None)


def _backstage_team(metadata: dict[str, Any], spec: dict[str, Any], source: Source) -> TeamRecord:
    return record_from(TeamRecord, {
        "name": metadata.get("name"), "display_name": _mapping(spec.get("profile")).get("displayName"),
        "members": [f"user:{_entity_ref(str(member))[1]}" for member in spec.get("members") or []],
    }, source, separator=",")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
