"""`herald export launches|history|directory`: rows streamed to stdout or --output FILE."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.directory.export import write_owners_csv, write_owners_yaml
from bot.insights.facts import FIGURE_COLUMNS, figure_columns, launch_facts
from bot.launches.export import LAUNCH_COLUMNS, launch_rows
from bot.launches.history_csv import HISTORY_COLUMNS, history_rows
from bot.runtime.commands.store import open_store

DIRECTORY_WRITERS = {"yaml": write_owners_yaml, "csv": write_owners_csv}


def export_launches(settings: Settings, args: argparse.Namespace) -> int:
    engine = open_store(settings)
    with session_scope(engine) as session, _output(args.output) as out:
        figures = {facts.key: figure_columns(facts) for facts in launch_facts(session, tz=settings.zone)}
        rows = ({**row, **figures[row["key"]]} for row in launch_rows(session, with_checklist=args.format == "json"))
        count = (_write_json(rows, out) if args.format == "json"
                 else _write_csv(rows, (*LAUNCH_COLUMNS, *FIGURE_COLUMNS), out))
    _say_written(f"{count} launches", args.output)
    return 0


def export_history(settings: Settings, args: argparse.Namespace) -> int:
    """Every change of every launch, which `herald import history` reads back."""
    engine = open_store(settings)
    with session_scope(engine) as session, _output(args.output) as out:
        count = _write_csv(history_rows(session), HISTORY_COLUMNS, out)
    _say_written(f"{count} history rows", args.output)
    return 0


def export_directory(settings: Settings, args: argparse.Namespace) -> int:
    engine = open_store(settings)
    with session_scope(engine) as session, _output(args.output) as out:
        DIRECTORY_WRITERS[args.format](session, out)
    _say_written("the directory", args.output)
    return 0


def _write_csv(rows: Iterator[dict], columns: Sequence[str], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
    return count


def _write_json(rows: Iterator[dict], out: TextIO) -> int:
    """A JSON array written a launch at a time."""
    count = 0
    out.write("[")
    for count, row in enumerate(rows, start=1):
        out.write(("," if count > 1 else "") + "\n  " + json.dumps(row, ensure_ascii=False))
    out.write("\n]\n")
    return count


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or FILE written whole: an export that fails half-way leaves no half a file behind."""
    if path is None:
        yield sys.stdout
        return
    partial = path.with_name(path.name + ".part")
    with _named_as(path):
        out = partial.open("w", encoding="utf-8", newline="")
    try:
        with out:
            yield out
        with _named_as(path):
            partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _named_as(path: Path) -> Iterator[None]:
    """A file error names the file the user asked for, not the .part file it is written through."""
    try:
        yield
    except OSError as error:
        error.filename, error.filename2 = str(path), None
        raise


def _say_written(what: str, path: Path | None) -> None:
    if path is not None:
        print(f"herald: wrote {what} to {path}", file=sys.stderr)
