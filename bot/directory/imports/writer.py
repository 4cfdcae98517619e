"""Writing what owners files say into the directory: all or nothing, idempotent, optionally pruning.

Pruning removes only entries whose `source` is a file this batch read (or a file once under a folder
it read that is gone now): entries from other files, and those claimed in Slack, are never touched.
The report lists what was added, changed (field by field) and removed, so a dry run inside a
rolled-back transaction can show exactly what the real import would do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from bot.core.errors import HeraldError
from bot.core.matching import slugify
from bot.core.models import utcnow
from bot.core.render import plural
from bot.directory.imports.records import (
    ComponentRecord,
    OwnerFile,
    Problem,
    TeamRecord,
    component_key,
    source_id,
)
from bot.directory.index import touch
from bot.directory.models import Component, Contact, Team, TeamMember
from bot.directory.people import Person, normalize_ref

Progress = Callable[[int, int], None]


class ImportRejected(HeraldError):
    """Some rows are invalid, so nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(str(problem) for problem in problems)
        super().__init__(f"{plural(len(problems), 'invalid row')}; nothing was imported (use --skip-invalid to import the rest):\n{lines}")


# Component columns by the names owners files give them, for reports.
FILE_NAMES = {"team_id": "team", "primary_contact_id": "primary", "backup_contact_id": "backup",
              "runbook_url": "runbook", "repo_url": "repo"}


@dataclass(frozen=True)
class FieldChange:
    """One field of one component as the import changes it, in owners-file terms (team and contact
    names, not row ids)."""

    component: str
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.component}: {self.field} {_shown(self.old)} → {_shown(self.new)}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    teams: int = 0
    skipped: list[Problem] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # component names
    changes: list[FieldChange] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # component names


def contact_refs(batch: OwnerFile) -> set[str]:
    refs = {r for c in batch.components for r in (c.primary, c.backup) if r}
    refs |= {member for team in batch.teams for member in team.members}
    return {normalize_ref(ref) for ref in refs}


def cached_people(session: Session, refs: set[str]) -> set[str]:
    """Contacts already matched to a Slack user, which need no lookup this time."""
    return set(session.exec(
        select(Contact.ref).where(col(Contact.ref).in_(refs), col(Contact.slack_user_id).is_not(None))
    ).all())


def import_owners(
    session: Session,
    batch: OwnerFile,
    *,
    people: dict[str, Person],
    skip_invalid: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    if batch.problems and not skip_invalid:
        raise ImportRejected(batch.problems)
    report = ImportReport(skipped=list(batch.problems))
    contacts = _upsert_contacts(session, contact_refs(batch), people, report)
    teams = _upsert_teams(session, batch.teams, batch.components, contacts, report)
    existing = {c.key: c for c in session.exec(select(Component)).all()}
    seen: set[str] = set()
    new_rows: list[dict[str, Any]] = []
    total = len(batch.components)
    changes: list[tuple[str, str, Any, Any]] = []
    for done, record in enumerate(batch.components, start=1):
        key = component_key(record.name, record.kind)
        seen.add(key)
        values = _component_values(record, teams, contacts)
        if key not in existing:
            new_rows.append({"key": key, "updated_at": utcnow(), **values})
        elif changed := _assign(existing[key], **values):
            existing[key].updated_at = utcnow()
            session.add(existing[key])
            changes.extend((record.name, *change) for change in changed)
            report.updated += 1
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
    if new_rows:  # one multi-row insert: building ORM objects is most of a large first import
        session.execute(insert(Component), new_rows)
    report.added = [row["name"] for row in new_rows]
    report.created = len(new_rows)
    report.unchanged = total - report.created - report.updated
    report.changes = _in_file_terms(session, changes, teams)
    touch(session)
    if prune:
        # A file with skipped rows may still name entries it could not say; keep those.
        unsure = {source_id(problem.source.path) for problem in batch.problems}
        stale = [c for key, c in existing.items()
                 if key not in seen and c.source not in unsure and _spoken_for(c.source, batch)]
        if stale:
            session.exec(delete(Component).where(col(Component.id).in_([c.id for c in stale])))
        report.removed = [c.name for c in stale]
        report.pruned = len(stale)
    return report


def _spoken_for(source: str | None, batch: OwnerFile) -> bool:
    """Whether this import speaks for an entry from `source`: a file it read, or a file once under a
    folder it read that is gone now. Entries made in Slack have no source."""
    if source is None:
        return False
    if source in batch.files:
        return True
    return any(Path(source).is_relative_to(folder) for folder in batch.folders) and not Path(source).exists()


def _in_file_terms(
    session: Session, changes: list[tuple[str, str, Any, Any]], teams: dict[str, Team]
) -> list[FieldChange]:
    """Column changes as an owners file would say them: team names and contact references for ids."""
    team_names = {team.id: team.name for team in teams.values()}
    contact_ids = {value for _, column, *values in changes if column.endswith("_contact_id") for value in values}
    refs = dict(session.exec(select(Contact.id, Contact.ref).where(col(Contact.id).in_(contact_ids))).all()) \
        if contact_ids else {}
    names = {"team_id": team_names, "primary_contact_id": refs, "backup_contact_id": refs}
    return [FieldChange(component, FILE_NAMES.get(column, column),
                        names[column].get(old, old) if column in names else old,
                        names[column].get(new, new) if column in names else new)
            for component, column, old, new in changes]


def _shown(value: Any) -> str:
    if value is None or value == []:
        return "(none)"
    return ", ".join(value) if isinstance(value, list) else str(value)


def _upsert_contacts(
    session: Session, refs: set[str], people: dict[str, Person], report: ImportReport
) -> dict[str, Contact]:
    contacts = {c.ref: c for c in session.exec(select(Contact).where(col(Contact.ref).in_(refs))).all()}
    for ref in sorted(refs):
        contact = contacts.get(ref) or Contact(ref=ref)
        person = people.get(ref)
        if person:
            contact.slack_user_id, contact.display_name = person.slack_user_id, person.display_name
            contact.deactivated, contact.checked_at = person.deactivated, utcnow()
        elif not contact.slack_user_id:
            report.unresolved.append(ref)
        contacts[ref] = contact
        session.add(contact)
    session.flush()
    return contacts


def _upsert_teams(
    session: Session,
    records: list[TeamRecord],
    components: list[ComponentRecord],
    contacts: dict[str, Contact],
    report: ImportReport,
) -> dict[str, Team]:
    teams = {t.key: t for t in session.exec(select(Team)).all()}
    named = {slugify(r.name): r for r in records}
    for name in {c.team for c in components if c.team}:
        named.setdefault(slugify(name), None)
    for key, record in named.items():
        team = teams.get(key)
        if team is None:
            team = Team(key=key, name=record.name if record else _team_name(components, key))
            teams[key] = team
        if record:
            changed = _assign(team, name=record.name, display_name=record.display_name, channel=record.channel,
                              slack_group=record.slack_group, escalation=record.escalation,
                              source=source_id(record.source.path))
            if changed:
                team.updated_at = utcnow()
        session.add(team)
    session.flush()
    _set_members(session, {teams[key].id: {contacts[normalize_ref(m)].id for m in record.members}
                           for key, record in named.items() if record is not None})
    report.teams = len(named)
    return teams


def _set_members(session: Session, wanted: dict[int, set[int]]) -> None:
    """Make each team's members what its file says, touching only the rows that differ."""
    current: dict[int, set[int]] = {team_id: set() for team_id in wanted}
    for team_id, contact_id in session.exec(
        select(TeamMember.team_id, TeamMember.contact_id).where(col(TeamMember.team_id).in_(wanted))
    ).all():
        current[team_id].add(contact_id)
    for team_id, members in wanted.items():
        gone = current[team_id] - members
        if gone:
            session.exec(delete(TeamMember).where(TeamMember.team_id == team_id, col(TeamMember.contact_id).in_(gone)))
        session.add_all(TeamMember(team_id=team_id, contact_id=c) for c in members - current[team_id])


def _team_name(components: list[ComponentRecord], key: str) -> str:
    return next(c.team for c in components if c.team and slugify(c.team) == key)


def _component_values(record: ComponentRecord, teams: dict[str, Team], contacts: dict[str, Contact]) -> dict[str, Any]:
    return dict(
        name=record.name,
        kind=record.kind,
        description=record.description,
        aliases=list(record.aliases),
        tags=list(record.tags),
        team_id=teams[slugify(record.team)].id if record.team else None,
        primary_contact_id=contacts[normalize_ref(record.primary)].id if record.primary else None,
        backup_contact_id=contacts[normalize_ref(record.backup)].id if record.backup else None,
        channel=record.channel,
        escalation=record.escalation,
        runbook_url=record.runbook,
        repo_url=record.repo,
        source=source_id(record.source.path),
    )


def _assign(row: Any, **values: Any) -> list[tuple[str, Any, Any]]:
    """Set only what differs, so re-importing the same files changes nothing; (field, old, new) of each."""
    changed = []
    for name, value in values.items():
        if (old := getattr(row, name)) != value:
            setattr(row, name, value)
            changed.append((name, old, value))
    return changed
