"""`herald import history`: a launch history CSV into the store, all or nothing; with --dry-run, what it would do."""

from __future__ import annotations

import argparse

from bot.core.db import rolled_back, session_scope
from bot.core.render import plural
from bot.core.settings import Settings
from bot.launches.history_csv import read_history
from bot.launches.history_import import HistoryRejected, HistoryReport, import_history
from bot.runtime.commands.progress import progress_bar
from bot.runtime.commands.store import open_store
from bot.runtime.failures import UsageError


def import_history_command(settings: Settings, args: argparse.Namespace) -> int:
    if not args.path.is_file():
        raise UsageError(f"no such file: {args.path}")
    with args.path.open(encoding="utf-8-sig", newline="") as lines:  # -sig: spreadsheets save a BOM
        history = read_history(lines, source=str(args.path))
    if history.problems:  # before opening the store
        raise HistoryRejected(history.problems)
    engine = open_store(settings)
    if args.dry_run:
        with rolled_back(engine) as session:
            report = import_history(session, history)
        print(f"herald: dry run, nothing written: {_counts(report)}")
        return 0
    with session_scope(engine) as session:
        report = import_history(session, history, progress=progress_bar)
    print(f"herald: {_counts(report)}")
    return 0


def _counts(report: HistoryReport) -> str:
    return (f"{plural(report.created, 'launch', 'launches')} created, {report.updated:,} updated, "
            f"{plural(report.added, 'change')} added, {report.already:,} already there")
