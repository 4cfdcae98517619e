"""`herald import owners`: owners files into the directory, or with --dry-run, what that would change."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.db import rolled_back, session_scope
from bot.core.render import plural
from bot.core.settings import Settings
from bot.core.slack_ids import is_user_id
from bot.directory.imports.formats import read_owner_files
from bot.directory.imports.records import OwnerFile
from bot.directory.imports.writer import ImportRejected, ImportReport, cached_people, contact_refs, import_owners
from bot.directory.people import Person
from bot.runtime.commands.progress import progress_bar
from bot.runtime.commands.store import open_store
from bot.runtime.failures import UsageError
from bot.slack.client import make_client
from bot.slack.people import resolve_people

SHOWN = 10  # of each list an import prints; the counts cover the rest


def import_owners_command(settings: Settings, args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    batch = read_owner_files(args.paths)
    if batch.problems and not args.skip_invalid:  # before opening the store or asking Slack about anyone
        raise ImportRejected(batch.problems)
    prune = args.prune or args.prune_empty
    if args.prune and not args.prune_empty:
        _refuse_to_empty_folders(batch)
    engine = open_store(settings)
    with session_scope(engine) as session:
        wanted = contact_refs(batch) - cached_people(session, contact_refs(batch))
    if args.dry_run:
        # Everything the import would do, inside a transaction that is thrown away. Nobody is looked
        # up in Slack: which user a contact is changes no count.
        with rolled_back(engine) as session:
            report = import_owners(session, batch, people={}, skip_invalid=args.skip_invalid, prune=prune)
        _print_preview(report, _lookups(settings, wanted, dry_run=True))
        return 0
    people = asyncio.run(_find_people(settings, wanted))
    with session_scope(engine) as session:
        report = import_owners(session, batch, people=people, skip_invalid=args.skip_invalid,
                               prune=prune, progress=progress_bar)
    for problem in report.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    _print_some("removed", report.removed)
    print(f"herald: {_counts(report)}; {_lookups(settings, wanted, not_found=len(report.unresolved))}")
    return 0


def _refuse_to_empty_folders(batch: OwnerFile) -> None:
    """A folder that holds no owners files now would prune everything once imported from it: more often a
    wrong path or a checkout gone wrong than a wish, so that takes --prune-empty."""
    empty = sorted(folder for folder in batch.folders if not any(Path(f).is_relative_to(folder) for f in batch.files))
    if empty:
        raise UsageError(f"{', '.join(empty)} holds no owners files; refusing to prune everything it once held. "
                         "Pass the files, or --prune-empty to remove them anyway")


def _lookups(settings: Settings, wanted: set[str], *, dry_run: bool = False, not_found: int = 0) -> str:
    """What was (or a dry run: would be) asked of Slack, in the same figures either way. Contacts matched
    to a Slack user by an earlier import are not asked again; without a token, only user IDs are taken
    as they are written."""
    if not settings.bot_token:
        unasked = [ref for ref in wanted if not is_user_id(ref)]
        return f"{plural(len(unasked), 'contact')} not looked up: SLACK_BOT_TOKEN is not set"
    if dry_run:
        return f"{plural(len(wanted), 'contact')} to look up in Slack"
    return f"{plural(len(wanted), 'contact')} looked up in Slack" + (f", {not_found:,} not found" if wanted else "")


def _counts(report: ImportReport) -> str:
    return (f"{report.created:,} added, {report.updated:,} updated, {report.unchanged:,} unchanged, "
            f"{report.pruned:,} removed; {plural(report.teams, 'team')}")


def _print_preview(report: ImportReport, lookups: str) -> None:
    for problem in report.skipped:
        print(f"would skip {problem}", file=sys.stderr)
    _print_some("would add", report.added)
    _print_some("would change", [str(change) for change in report.changes])
    _print_some("would remove", report.removed)
    print(f"herald: dry run, nothing written: {_counts(report)}; {lookups}")


def _print_some(heading: str, lines: Sequence[str]) -> None:
    if not lines:
        return
    print(f"{heading}:")
    for line in lines[:SHOWN]:
        print(f"  {line}")
    if len(lines) > SHOWN:
        print(f"  … and {len(lines) - SHOWN:,} more")


async def _find_people(settings: Settings, refs: set[str]) -> dict[str, Person]:
    """Contacts matched to Slack users; without a bot token only literal user IDs can be."""
    if not settings.bot_token:
        return {ref: Person(ref, ref, False) for ref in refs if is_user_id(ref)}
    return await resolve_people(make_client(settings), refs) if refs else {}

