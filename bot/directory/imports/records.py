"""What an owners file says, as plain records, before anything is resolved or stored.

Readers of each format (Herald YAML/CSV, CODEOWNERS, Backstage) produce these; the directory
service validates, resolves contacts to Slack users and upserts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.core.matching import slugify
from bot.core.slack_ids import CHANNEL_ID

PATH_KIND = "path"
KIND_QUALIFIED = frozenset({"api", "system", "domain", "resource"})
MAX_NAME_LENGTH = 80
MAX_PATH_LENGTH = 200
# What the store holds (bot.models); longer values are reported, not cut or refused by the database.
FIELD_LIMITS = {
    "kind": 40, "description": 1000, "team": 100, "primary": 200, "backup": 200, "members": 200,
    "channel": 100, "escalation": 500, "runbook": 500, "repo": 500, "display_name": 200, "slack_group": 100,
    "aliases": 100, "tags": 100,
}


def component_key(name: str, kind: str) -> str:
    """How the directory keys an entry: names by slug; paths (CODEOWNERS patterns) exactly as written,
    since `/lib/_stream*` and `/lib/stream/*` are different paths; and an API, system, domain or
    resource by kind too, since Backstage names an API like the component that provides it."""
    if kind == PATH_KIND:
        return name
    key = slugify(name)
    return f"{kind}:{key}" if kind in KIND_QUALIFIED else key


@dataclass(frozen=True)
class Source:
    """Where a record came from, for `file:line: what is wrong` reports."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class TeamRecord:
    name: str
    source: Source
    display_name: str | None = None
    channel: str | None = None  # "#name" or a channel ID
    slack_group: str | None = None  # user group handle or ID
    escalation: str | None = None  # text or a link
    members: list[str] = field(default_factory=list)  # contact references, as in ComponentRecord


@dataclass
class ComponentRecord:
    """One thing someone owns. Contact references are e-mails, `@handle`s or Slack user IDs."""

    name: str
    source: Source
    kind: str = "component"
    description: str | None = None
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    team: str | None = None
    primary: str | None = None
    backup: str | None = None
    channel: str | None = None
    escalation: str | None = None
    runbook: str | None = None
    repo: str | None = None


def source_id(path: str) -> str:
    """What an imported entry's `source` holds: the file's absolute path with links resolved, so
    `a.yaml`, `./a.yaml` and `/here/a.yaml` are one source whichever folder the import ran in."""
    return str(Path(path).resolve())


@dataclass(frozen=True)
class Problem:
    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass
class OwnerFile:
    """Everything read from one or more files; `problems` lists the rows that could not be read.

    `files` are the sources this batch speaks for (each file's absolute path, as `source_id` spells
    it) and `folders` the folders it walked: pruning touches only entries that came from them."""

    teams: list[TeamRecord] = field(default_factory=list)
    components: list[ComponentRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)

    def extend(self, other: OwnerFile) -> None:
        self.teams.extend(other.teams)
        self.components.extend(other.components)
        self.problems.extend(other.problems)


# Reading an entry's fields into a record, the same for every format.

LIST_KEYS = frozenset({"aliases", "tags", "members"})
CHANNEL = (re.compile(rf"#[^\s#@<>]{{1,80}}|{CHANNEL_ID.pattern}"), "a #name or a channel ID")
Record = TypeVar("Record", TeamRecord, ComponentRecord)


class InvalidEntry(ValueError):
    """An entry that cannot become a record; the message says why."""


def record_from(build: type[Record], fields: dict[str, Any], source: Source, *, separator: str) -> Record:
    """A TeamRecord or ComponentRecord from the keys of one entry or row; empty values are left out."""
    name = text_field(fields.get("name"), "name")
    if not name:
        raise InvalidEntry(f"{'team' if build is TeamRecord else 'component'} has no name")
    values = {key: list_field(raw, key, separator) if key in LIST_KEYS else text_field(raw, key)
              for key, raw in fields.items() if key != "name"}
    return build(name=name, source=source, **{key: value for key, value in values.items() if value})


def text_field(raw: Any, key: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidEntry(f"{key} should be text, not a list or mapping")
    return raw.strip() or None


def list_field(raw: Any, key: str, separator: str) -> list[str]:
    items = raw.split(separator) if isinstance(raw, str) else raw or []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidEntry(f"{key} should be a list or text separated by {separator!r}")
    return [item.strip() for item in items if item.strip()]
