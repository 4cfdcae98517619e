"""`herald import owners`: owners files into the directory, or with --dry-run, what that would change."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.core.db import rolled_back, session_scope
from bot.core.settings import Settings
from bot.core.slack_ids import is_user_id
from bot.directory.imports.formats import read_owner_files
from bot.directory.imports.writer import ImportRejected, ImportReport, cached_people, contact_refs, import_owners
from bot.directory.people import Person
from bot.runtime.commands.store import open_store
from bot.runtime.failures import UsageError
from bot.slack.client import make_client
from bot.slack.people import resolve_people

SHOWN = 10  # of each list a dry run prints; the counts cover the rest


def import_owners_command(settings: Settings, args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    batch = read_owner_files(args.paths)
    if batch.problems and not args.skip_invalid:  # before opening the store or asking Slack about anyone
        raise ImportRejected(batch.problems)
    engine = open_store(settings)
    if args.dry_run:
        # Everything the import would do, inside a transaction that is thrown away. Nobody is looked
        # up in Slack: which user a contact is changes no count.
        with rolled_back(engine) as session:
            report = import_owners(session, batch, people={}, skip_invalid=args.skip_invalid,
                                   prune=args.prune)
        _print_preview(report)
        return 0
    with session_scope(engine) as session:
        wanted = contact_refs(batch) - cached_people(session, contact_refs(batch))
    people = asyncio.run(_find_people(settings, wanted))
    with session_scope(engine) as session:
        report = import_owners(session, batch, people=people, skip_invalid=args.skip_invalid,
                               prune=args.prune, progress=_progress_bar)
    for problem in report.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"herald: {_counts(report)}; {len(report.unresolved)} contacts not found in Slack")
    return 0


def _counts(report: ImportReport) -> str:
    return (f"{report.created} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.pruned} removed; {report.teams} teams")


def _print_preview(report: ImportReport) -> None:
    for problem in report.skipped:
        print(f"would skip {problem}", file=sys.stderr)
    _print_some("would add", report.added)
    _print_some("would change", [str(change) for change in report.changes])
    _print_some("would remove", report.removed)
    print(f"herald: dry run, nothing written: {_counts(report)}; "
          f"{len(report.unresolved)} contacts not yet matched to Slack users")


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
        print("herald: SLACK_BOT_TOKEN is not set, so e-mails and @handles stay unresolved", file=sys.stderr)
        return {ref: Person(ref, ref, False) for ref in refs if is_user_id(ref)}
    return await resolve_people(make_client(settings), refs) if refs else {}


def _progress_bar(done: int, total: int) -> None:
    if not sys.stderr.isatty():
        return
    filled = 30 * done // max(total, 1)
    end = "\n" if done == total else ""
    print(f"\rimporting [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,}", end=end, file=sys.stderr, flush=True)
