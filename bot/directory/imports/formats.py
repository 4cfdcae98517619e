"""Reading owners files into owner records, with every problem reported as `file:line: message`.

Four formats are read, told apart by file name or, failing that, by content:

**Herald YAML** (`.yaml`/`.yml`): one mapping with a `teams:` list, a `components:` list, or both.

    teams:
      - name: payments                # required, at most 80 characters
        display_name: Payments squad
        channel: "#payments"          # "#name" or a channel ID (C…/G…)
        slack_group: payments-oncall  # user group handle or ID
        escalation: https://example.pagerduty.com/escalation_policies/P1  # text or a link
        members: [ava@example.com, "@ben", U0CHIARA]
    components:
      - name: checkout-api            # required, at most 80 characters, unique across the batch
        kind: service                 # free text; "component" when left out
        description: Takes the money
        aliases: [checkout, pay]      # a list, or text separated by commas
        tags: [tier-1, payments]      # a list, or text separated by commas
        team: payments                # a team's name
        primary: ava@example.com      # contacts: e-mail, "@handle", Slack user ID (U…/W…)
        backup: "@ben"                #   or a Backstage reference such as "user:ben"
        channel: "#payments"
        escalation: "Page payments-oncall, then #incidents"
        runbook: https://wiki.example.com/runbooks/checkout   # http(s) URLs
        repo: https://github.com/example/checkout

Quote values that start with `#` or `@` or hold ` #`: unquoted, `#payments` and everything after
` #` is a YAML comment, and `@ben` is a syntax error. Unknown keys are reported, not dropped.

**Herald CSV** (`.csv`): a header row, then one component per row. Columns are the component keys
above in any order; only `name` is required; `aliases` and `tags` are separated by `;`.

**GitHub CODEOWNERS** (named `CODEOWNERS` or `*.CODEOWNERS`, or lines of `pattern @owner…`):
each owned pattern becomes a component of kind `path` named after the pattern; its first
`@org/team` is the team, its first and second people (`@user` or e-mail) are primary and backup.
Each `@org/team` also becomes a team. As in GitHub the last line for a pattern wins, and a pattern
with no owners un-owns it.

**Backstage catalog** (YAML documents with `apiVersion: backstage.io/…`): entities become
components and teams as `bot.directory.imports.backstage` describes; Locations are followed to the files
they name.

Entries with a problem are left out of the result, and every problem is listed.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.slack_ids import USER_ID
from bot.directory.imports.backstage import BackstageCatalog, is_backstage
from bot.directory.imports.records import (
    CHANNEL,
    FIELD_LIMITS,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    PATH_KIND,
    ComponentRecord,
    InvalidEntry,
    OwnerFile,
    Problem,
    Source,
    TeamRecord,
    component_key,
    record_from,
    source_id,
)

COMPONENT_KEYS = ("name", "kind", "description", "aliases", "tags", "team", "primary", "backup", "channel",
                  "escalation", "runbook", "repo")
TEAM_KEYS = ("name", "display_name", "channel", "slack_group", "escalation", "members")
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NOT_RECOGNISED = "not an owners file: expected Herald YAML or CSV, CODEOWNERS, or a Backstage catalog"

EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
TEAM_HANDLE = re.compile(r"@[^/\s]+/\S+")
OWNER = re.compile(rf"@\S+|{EMAIL}")  # what may follow a pattern in CODEOWNERS
CONTACT = (re.compile(rf"{EMAIL}|@[\w.-]+|{USER_ID.pattern}|user:([\w.-]+/)?[\w.-]+"),  # as directory.people reads them
           "an e-mail, @handle, Slack user ID or Backstage user: reference")
URL = (re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE), "an http(s) URL")
RULES = {"primary": CONTACT, "backup": CONTACT, "channel": CHANNEL, "members": CONTACT, "runbook": URL, "repo": URL}


def read_owner_files(paths: list[Path]) -> OwnerFile:
    """Everything the files say, checked as one batch: names must be unique across all of them."""
    batch = _Batch()
    for path in _expand(paths):
        batch.read(path)
    found = batch.finish()
    found.folders = {source_id(str(path)) for path in paths if path.is_dir()}
    return found


def read_owner_file(path: Path) -> OwnerFile:
    """One file, with the files its Backstage Locations name."""
    return read_owner_files([path])


def _expand(paths: list[Path]) -> Iterator[Path]:
    """The given files, and in given directories every file whose name says it may hold owners."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for root, directories, files in os.walk(path):
            directories[:] = sorted(name for name in directories if name != ".git")
            for name in sorted(files):
                if name.lower().endswith((".yaml", ".yml", ".csv")) or _is_codeowners_name(name):
                    yield Path(root, name)


def _is_codeowners_name(name: str) -> bool:
    return name == "CODEOWNERS" or name.endswith(".CODEOWNERS")


def _problem(path: Path, line: int, message: str) -> Problem:
    return Problem(Source(str(path), line), message)


@dataclass
class _Batch:
    """Files read so far, and the Backstage people in them: those are settled once all are read."""

    found: OwnerFile = field(default_factory=OwnerFile)
    seen: set[Path] = field(default_factory=set)
    backstage: BackstageCatalog = field(default_factory=BackstageCatalog)

    def read(self, path: Path) -> None:
        if (key := path.resolve()) in self.seen:
            return
        self.seen.add(key)
        try:
            text = path.read_bytes().decode("utf-8-sig")  # utf-8-sig: spreadsheets write a BOM
        except OSError as error:
            self.found.problems.append(_problem(path, 1, f"cannot read the file: {error.strerror}"))
            return
        except UnicodeDecodeError as error:
            self.found.problems.append(_problem(path, error.object[: error.start].count(b"\n") + 1, "not UTF-8 text"))
            return
        if path.suffix.lower() == ".csv":
            self.found.extend(_read_csv(path, text))
        elif _is_codeowners(path, text):
            self.found.extend(_read_codeowners(path, text))
        else:
            self.read_yaml(path, text)

    def read_yaml(self, path: Path, text: str) -> None:
        try:
            documents = _compose(text)
        except yaml.YAMLError as error:
            mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None) or error
            self.found.problems.append(_problem(path, mark.line + 1 if mark else 1, f"not valid YAML: {problem}"))
            return
        if entities := [node for node in documents if is_backstage(node)]:
            for node in entities:
                source = Source(str(path), node.start_mark.line + 1)
                for location_target in self.backstage.read_entity(_plain(node), source, self.found):
                    self.read(location_target)
        elif len(documents) == 1 and _is_herald_yaml(documents[0]):
            self.found.extend(_read_herald_yaml(path, documents[0], text.splitlines()))
        else:
            self.found.problems.append(_problem(path, 1, NOT_RECOGNISED))

    def finish(self) -> OwnerFile:
        self.backstage.settle(self.found)
        checked = _checked(self.found)
        checked.files = {str(path) for path in self.seen}  # resolved as source_id resolves them
        return checked


def _compose(text: str) -> list[yaml.Node]:
    """YAML documents, parsed by libyaml when installed (five times faster); a broken file is parsed
    again by the pure-Python loader, whose messages name the offending character."""
    try:
        return [node for node in yaml.compose_all(text, Loader=FAST_LOADER) if node is not None]
    except yaml.YAMLError:
        return [node for node in yaml.compose_all(text, Loader=yaml.SafeLoader) if node is not None]


def _is_codeowners(path: Path, text: str) -> bool:
    """By name, or by content when every rule line reads `pattern @owner…` and some have owners."""
    if _is_codeowners_name(path.name):
        return True
    if path.suffix.lower() in (".yaml", ".yml"):
        return False
    rules = [owners for _line, _pattern, owners in _codeowners_rules(text)]
    return any(rules) and all(OWNER.fullmatch(owner) for owners in rules for owner in owners)


def _codeowners_rules(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line number, pattern, owners) for each line that is not blank or a comment."""
    for number, line in enumerate(text.splitlines(), start=1):
        words = re.sub(r"(^|\s)#.*", "", line).split()
        if words:
            yield number, words[0], words[1:]


def _read_codeowners(path: Path, text: str) -> OwnerFile:
    """Each owned pattern is a component. As in GitHub, a later line for the same pattern replaces
    an earlier one, and a line without owners un-owns the pattern."""
    components: dict[str, ComponentRecord] = {}
    teams: dict[str, TeamRecord] = {}
    for number, pattern, owners in _codeowners_rules(text):
        source = Source(str(path), number)
        components.pop(pattern, None)
        for owner in filter(TEAM_HANDLE.fullmatch, owners):
            teams.setdefault(owner, TeamRecord(name=owner, source=source))
        if owners:
            components[pattern] = _path_component(pattern, owners, source)
    return OwnerFile(teams=list(teams.values()), components=list(components.values()))


def _path_component(pattern: str, owners: list[str], source: Source) -> ComponentRecord:
    teams = [owner for owner in owners if TEAM_HANDLE.fullmatch(owner)]
    people = [owner for owner in owners if owner not in teams]
    return ComponentRecord(name=pattern, source=source, kind=PATH_KIND, team=next(iter(teams), None),
                           primary=next(iter(people), None), backup=people[1] if len(people) > 1 else None)


def _read_csv(path: Path, text: str) -> OwnerFile:
    """The rows of a valid file; of a broken one, as of broken YAML, only where it breaks."""
    found = OwnerFile()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        _read_csv_rows(path, reader, found)
    except csv.Error as error:
        return OwnerFile(problems=[_problem(path, reader.line_num, f"not valid CSV: {error}")])
    return found


def _read_csv_rows(path: Path, reader: Any, found: OwnerFile) -> None:  # reader: what csv.reader returns
    header = [column.strip().lower() for column in next(reader, [])]
    if unknown := [column for column in header if column not in COMPONENT_KEYS]:
        found.problems.append(_problem(path, 1, f"unknown column {', '.join(map(repr, unknown))} "
                                                f"(known: {', '.join(COMPONENT_KEYS)}); its values are ignored"))
    if "name" not in header:
        found.problems.append(_problem(path, 1, "the header row has no name column"))
        return
    end = reader.line_num
    for row in reader:
        source, end = Source(str(path), end + 1), reader.line_num  # a quoted cell may span lines
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) > len(header):
                raise InvalidEntry(f"the row has {len(row)} values but the header names {len(header)} columns")
            fields = {column: cell for column, cell in zip(header, row) if column in COMPONENT_KEYS}
            found.components.append(record_from(ComponentRecord, fields, source, separator=";"))
        except InvalidEntry as error:
            found.problems.append(Problem(source, str(error)))


def _is_herald_yaml(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and any(key.value in ("teams", "components") for key, _ in node.value)


def _read_herald_yaml(path: Path, root: yaml.MappingNode, lines: list[str]) -> OwnerFile:
    found = OwnerFile()
    for key, value in root.value:
        if key.value not in ("teams", "components"):
            message = f"unknown key {key.value!r} (expected teams and components)"
        elif not isinstance(value, yaml.SequenceNode):
            message = f"{key.value} should be a list"
        else:
            _read_yaml_entries(path, value, key.value, lines, found)
            continue
        found.problems.append(_problem(path, key.start_mark.line + 1, message))
    return found


def _read_yaml_entries(path: Path, entries: yaml.SequenceNode, section: str, lines: list[str], found: OwnerFile) -> None:
    build, keys = (TeamRecord, TEAM_KEYS) if section == "teams" else (ComponentRecord, COMPONENT_KEYS)
    for entry in entries.value:
        source = Source(str(path), entry.start_mark.line + 1)
        try:
            record = record_from(build, _entry_fields(entry, keys, lines), source, separator=",")
        except InvalidEntry as error:
            found.problems.append(Problem(source, str(error)))
        else:
            (found.teams if build is TeamRecord else found.components).append(record)


def _entry_fields(entry: yaml.Node, keys: tuple[str, ...], lines: list[str]) -> dict[str, Any]:
    if not isinstance(entry, yaml.MappingNode):
        raise InvalidEntry("each entry should be a mapping of keys such as name: …")
    fields = {}
    for key, value in entry.value:
        if key.value not in keys:
            raise InvalidEntry(f"unknown key {key.value!r} (known: {', '.join(keys)})")
        if _plain(value) is None and re.match(r"\s*:\s+#", lines[key.end_mark.line][key.end_mark.column:]):
            raise InvalidEntry(f"{key.value} is empty: a value starting with # is a YAML comment, so quote it")
        fields[key.value] = _plain(value)
    return fields


def _plain(node: yaml.Node) -> Any:
    """The node as dicts, lists and strings: scalars stay as written (`0123` is not a number)."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == "tag:yaml.org,2002:null" else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    return {key.value if isinstance(key, yaml.ScalarNode) else "": _plain(value) for key, value in node.value}


def _checked(found: OwnerFile) -> OwnerFile:
    """The records with no problems, and every problem, in file and line order. Names are compared
    as the directory keys them (`component_key`): two names that would share a key are duplicates."""
    checked = OwnerFile(problems=list(found.problems))
    first_by_key: dict[str, ComponentRecord] = {}
    for record in [*found.teams, *found.components]:
        problems = _value_problems(record)
        if isinstance(record, ComponentRecord):
            first = first_by_key.setdefault(component_key(record.name, record.kind), record)
            if first is not record:
                problems.append(f"duplicate component name {record.name!r}: {first.source} names {first.name!r}")
        checked.problems.extend(Problem(record.source, message) for message in problems)
        if not problems:
            (checked.components if isinstance(record, ComponentRecord) else checked.teams).append(record)
    checked.problems.sort(key=lambda problem: (problem.source.path, problem.source.line))
    return checked


def _value_problems(record: TeamRecord | ComponentRecord) -> list[str]:
    problems = []
    limit = MAX_PATH_LENGTH if getattr(record, "kind", None) == PATH_KIND else MAX_NAME_LENGTH
    if len(record.name) > limit:
        problems.append(f"name is {len(record.name)} characters long; the limit is {limit}")
    for key, (pattern, expected) in RULES.items():
        value = getattr(record, key, None)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and not pattern.fullmatch(item):
                problems.append(f"{key} {item!r} is not {expected}")
    for key, most in FIELD_LIMITS.items():
        value = getattr(record, key, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and len(item) > most:
                problems.append(f"{key} is {len(item)} characters long; the limit is {most}")
    return problems
