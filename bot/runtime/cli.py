"""`herald`: run the bot (HTTP or Socket Mode), the local console, migrations, imports, exports and the demo.

Every command runs through `main`, which turns the failures a user can act on into one line on
stderr and an exit status (see `bot.runtime.failures`), and keeps libraries' logs out of sight
unless `-v` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.core.settings import Settings, load_settings
from bot.runtime.commands import digests, exports, history, owners, releases, servers, store
from bot.runtime.console import run_console
from bot.runtime.failures import explain, reader_went_away

Command = Callable[[Settings, argparse.Namespace], int]
SERVERS = ("serve", "socket")  # they keep Herald's own INFO lines: "listening on port …"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = None
    try:
        settings = load_settings()
        command = args.command or _default_command(settings)
        _configure_logging(verbose=args.verbose, server=command in SERVERS)
        store.make_default_store_folder(settings)
        run: Command = args.run if args.command else DEFAULT_COMMANDS[command]
        status = run(settings, args)
        sys.stdout.flush()  # a reader that went away (`| head`) shows here, not at exit
        return status
    except KeyboardInterrupt:
        print("herald: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return reader_went_away()
    except Exception as error:
        explained = explain(error, settings.database_url if settings else None)
        if explained is None and args.verbose:
            raise
        unexpected = f"unexpected {type(error).__name__}: {error} (run again with -v to see where, and please report it)"
        message, status = explained or (unexpected, 1)
        print(f"herald: {message}", file=sys.stderr)
        return status


def _configure_logging(*, verbose: bool, server: bool) -> None:
    """Libraries (alembic, slack_bolt, sqlalchemy, aiohttp) speak only with -v; servers log Herald's INFO."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)
    for name in ("herald", "bot"):
        logging.getLogger(name).setLevel(logging.INFO if server else logging.NOTSET)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="herald",
        description="Herald keeps stakeholders informed in Slack. With no command: Socket Mode if "
        "SLACK_APP_TOKEN is set, HTTP if SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are, else the local console.",
    )
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show libraries' logs, and the traceback of an unexpected error")
    commands = parser.add_subparsers(dest="command")
    _leaf(commands, "migrate", store.migrate_command, "bring the database schema up to date")
    _leaf(commands, "serve", servers.serve, "serve Slack over HTTP on PORT (POST /slack/events, GET /healthz)")
    socket_mode = _leaf(commands, "socket", servers.socket, "connect to Slack in Socket Mode (no public URL needed); "
                        "GET /healthz and the release webhooks on PORT")
    socket_mode.add_argument("--no-http", action="store_true", help="serve nothing on PORT: no health check, no webhooks")
    _leaf(commands, "console", _console, "a local REPL: type /launch commands, read the replies")
    seed = _leaf(commands, "seed", store.seed_command, "load the demo launches and directory into the store")
    seed.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)  # what `seed` used to require

    what = commands.add_parser("import", help="import data from files teams already keep") \
        .add_subparsers(dest="what", required=True)
    owners_files = _leaf(what, "owners", owners.import_owners_command,
                         "owners files: Herald YAML/CSV, CODEOWNERS, Backstage catalog-info.yaml")
    owners_files.add_argument("paths", nargs="+", type=Path, help="files or folders")
    owners_files.add_argument("--skip-invalid", action="store_true", help="import the valid rows even if some are not")
    owners_files.add_argument("--prune", action="store_true",
                              help="remove entries that came from these files (or folders) and are no longer in them")
    owners_files.add_argument("--prune-empty", action="store_true",
                              help="--prune, even for a folder that holds no owners files now: "
                                   "removes every entry it once held")
    owners_files.add_argument("--dry-run", action="store_true",
                              help="print what would be added, changed and removed, and write nothing")
    history_file = _leaf(what, "history", history.import_history_command,
                         "a launch history CSV (as `herald export history` writes it), all or nothing; "
                         "creates the launches it names, adds only changes Herald does not have")
    history_file.add_argument("path", type=Path, help="the CSV file")
    history_file.add_argument("--dry-run", action="store_true", help="print what would be added, and write nothing")

    what = commands.add_parser("export", help="write launches, their history or the directory as CSV, JSON or "
                               "owners YAML") \
        .add_subparsers(dest="what", required=True)
    launches = _leaf(what, "launches", exports.export_launches, "one row per launch")
    launches.add_argument("--format", choices=("csv", "json"), default="csv", help="json includes checklist items")
    changes = _leaf(what, "history", exports.export_history,
                    "one row per change of every launch, which `herald import history` reads back")
    changes.add_argument("--format", choices=("csv",), default="csv")
    directory = _leaf(what, "directory", exports.export_directory,
                      "the directory in Herald's owners format, which `herald import owners` reads back")
    directory.add_argument("--format", choices=("yaml", "csv"), default="yaml", help="csv holds components only")
    for export in (launches, changes, directory):
        export.add_argument("--output", type=Path, help="write to FILE instead of stdout")

    what = commands.add_parser("release", help="record and announce releases") \
        .add_subparsers(dest="what", required=True)
    announce = _leaf(what, "announce", releases.announce, "record a release and announce it to subscribed channels")
    announce.add_argument("--component", required=True, help="component or launch the release belongs to")
    announce.add_argument("--new-component", action="store_true",
                          help="record it under --component as typed even if that is close to a known name")
    announce.add_argument("--version", required=True)
    announce.add_argument("--title")
    announce.add_argument("--notes-file", type=Path, help="release notes in Markdown")
    announce.add_argument("--link", help="link to the full notes")
    announce.add_argument("--tag", action="append", default=[], help="audience tag (repeatable)")
    announce.add_argument("--prerelease", action="store_true")
    announce.add_argument("--at", type=datetime.fromisoformat, help="announce later: ISO time with zone")
    announce.add_argument("--no-wait", action="store_true", help="record only; a running Herald sends it")

    what = commands.add_parser("digest", help="post digests without the scheduler (for cron)") \
        .add_subparsers(dest="what", required=True)
    digest_run = _leaf(what, "run", digests.run_digests, "post the digests that are due, each once")
    digest_run.add_argument("--channel", help="only this channel's digest (or a user ID for a personal one)")
    digest_run.add_argument("--now", action="store_true", help="post now, whatever the schedule says (once an hour)")
    return parser


def _leaf(commands: argparse._SubParsersAction, name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(run=run)
    return parser


def _default_command(settings: Settings) -> str:
    if settings.bot_token and settings.app_token:
        return "socket"
    if settings.bot_token and settings.signing_secret:
        return "serve"
    return "console"


def _console(settings: Settings, args: argparse.Namespace) -> int:
    return run_console(settings, verbose=getattr(args, "verbose", False))


DEFAULT_COMMANDS: dict[str, Command] = {"socket": servers.socket, "serve": servers.serve, "console": _console}

if __name__ == "__main__":
    sys.exit(main())
