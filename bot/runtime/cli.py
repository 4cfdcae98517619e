"""`herald`: run the bot (HTTP or Socket Mode), the local console, migrations and the demo data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.core.db import make_engine, migrate, session_scope
from bot.core.errors import HeraldError
from bot.core.herald import Herald
from bot.core.settings import Settings, SettingsError, load_settings
from bot.core.slack_ids import is_user_id
from bot.digests.models import Digest
from bot.digests.runner import DigestRunner
from bot.directory.imports.formats import read_owner_files
from bot.directory.imports.writer import ImportRejected, cached_people, contact_refs, import_owners
from bot.directory.people import Person
from bot.releases.outbox import UNFINISHED
from bot.releases.recording import ReleaseInput, delivery_counts, record_release
from bot.runtime.app import create_app, make_herald
from bot.runtime.console import Console, ConsoleWebClient
from bot.runtime.demo import seed_demo
from bot.runtime.server import make_web_app
from bot.runtime.workers import outbox_worker, running, workers_messenger
from bot.slack.client import make_client
from bot.slack.people import resolve_people

log = logging.getLogger("herald")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        command = args.command or _default_command(settings)
        return COMMANDS[command](settings, args)
    except SettingsError as error:
        print(f"herald: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="herald",
        description="Herald keeps stakeholders informed in Slack. With no command: Socket Mode if "
        "SLACK_APP_TOKEN is set, HTTP if SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are, else the local console.",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("serve", help="serve Slack over HTTP on PORT (POST /slack/events, GET /healthz)")
    commands.add_parser("socket", help="connect to Slack in Socket Mode (no public URL needed)")
    commands.add_parser("console", help="a local REPL: type /launch commands, read the replies")
    seed = commands.add_parser("seed", help="load data into the store")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo launches")
    importing = commands.add_parser("import", help="import data from files teams already keep")
    what = importing.add_subparsers(dest="what", required=True)
    owners = what.add_parser("owners", help="owners files: Herald YAML/CSV, CODEOWNERS, Backstage catalog-info.yaml")
    owners.add_argument("paths", nargs="+", type=Path, help="files or folders")
    owners.add_argument("--skip-invalid", action="store_true", help="import the valid rows even if some are not")
    owners.add_argument("--prune", action="store_true", help="remove imported entries no longer in the files")
    release = commands.add_parser("release", help="record and announce releases")
    release_what = release.add_subparsers(dest="what", required=True)
    announce = release_what.add_parser("announce", help="record a release and announce it to subscribed channels")
    announce.add_argument("--component", required=True, help="component or launch the release belongs to")
    announce.add_argument("--version", required=True)
    announce.add_argument("--title")
    announce.add_argument("--notes-file", type=Path, help="release notes in Markdown")
    announce.add_argument("--link", help="link to the full notes")
    announce.add_argument("--tag", action="append", default=[], help="audience tag (repeatable)")
    announce.add_argument("--prerelease", action="store_true")
    announce.add_argument("--at", type=datetime.fromisoformat, help="announce later: ISO time with zone")
    announce.add_argument("--no-wait", action="store_true", help="record only; a running Herald sends it")
    digest = commands.add_parser("digest", help="post digests without the scheduler (for cron)")
    digest_what = digest.add_subparsers(dest="what", required=True)
    digest_run = digest_what.add_parser("run", help="post the digests that are due, each once")
    digest_run.add_argument("--channel", help="only this channel's digest (or a user ID for a personal one)")
    digest_run.add_argument("--now", action="store_true", help="post now, whatever the schedule says (once an hour)")
    return parser


def _default_command(settings: Settings) -> str:
    if settings.bot_token and settings.app_token:
        return "socket"
    if settings.bot_token and settings.signing_secret:
        return "serve"
    return "console"


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate(settings.database_url)
    print(f"herald: database at {_safe_url(settings.database_url)} is up to date")
    return 0


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require_http()
    migrate(settings.database_url)
    herald = make_herald(settings, make_engine(settings.database_url))
    web_app = make_web_app(create_app(herald), herald, with_services=True)
    log.info("Herald is listening on port %s (POST /slack/events)", settings.port)
    web.run_app(web_app, port=settings.port, print=None)
    return 0


def _socket(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require_socket()
    migrate(settings.database_url)
    herald = make_herald(settings, make_engine(settings.database_url))

    async def run() -> None:
        # SIGTERM ends the connection the way Ctrl-C does, so the workers hand back what they hold.
        main_task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        handler = AsyncSocketModeHandler(create_app(herald), settings.app_token)
        async with running(herald):
            await handler.start_async()

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(run())
    return 0


def _console(settings: Settings, _args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)  # its hints are for developers, not here
    migrate(settings.database_url)
    herald = make_herald(settings, make_engine(settings.database_url), slack=ConsoleWebClient(sys.stdout))
    added = _seed(herald)
    if added:
        print(f"(loaded {added} demo launches into {_safe_url(settings.database_url)})")
    asyncio.run(Console(herald).repl())
    return 0


def _seed_command(settings: Settings, _args: argparse.Namespace) -> int:
    migrate(settings.database_url)
    herald = make_herald(settings, make_engine(settings.database_url))
    print(f"herald: added {_seed(herald)} demo launches")
    return 0


def _seed(herald: Herald) -> int:
    with session_scope(herald.engine) as session:
        return seed_demo(session, today=herald.today())


def _import_owners(settings: Settings, args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"herald: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    batch = read_owner_files(args.paths)
    if batch.problems and not args.skip_invalid:  # before asking Slack about anyone
        print(f"herald: {ImportRejected(batch.problems)}", file=sys.stderr)
        return 1
    with session_scope(engine) as session:
        wanted = contact_refs(batch) - cached_people(session, contact_refs(batch))
    people = asyncio.run(_find_people(settings, wanted))
    try:
        with session_scope(engine) as session:
            report = import_owners(session, batch, people=people, skip_invalid=args.skip_invalid,
                                   prune=args.prune, progress=_progress_bar)
    except ImportRejected as rejected:
        print(f"herald: {rejected}", file=sys.stderr)
        return 1
    for problem in report.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"herald: {report.created} added, {report.updated} updated, {report.unchanged} unchanged, "
          f"{report.pruned} removed; {report.teams} teams; {len(report.unresolved)} contacts not found in Slack")
    return 0


async def _find_people(settings: Settings, refs: set[str]) -> dict:
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


def _release(settings: Settings, args: argparse.Namespace) -> int:
    if args.at and args.at.tzinfo is None:
        raise SettingsError("--at needs a time zone, like 2026-12-01T09:00:00+01:00")
    notes = args.notes_file.read_text(encoding="utf-8") if args.notes_file else ""
    migrate(settings.database_url)
    herald = make_herald(settings, make_engine(settings.database_url))
    data = ReleaseInput(component=args.component, version=args.version, title=args.title, notes=notes,
                                 link=args.link, tags=args.tag, prerelease=args.prerelease, announce_at=args.at,
                                 source="cli", created_by=os.environ.get("USER"))
    try:
        with session_scope(herald.engine) as session:
            release_id = record_release(session, data, now=herald.clock()).id
    except HeraldError as error:
        print(f"herald: {error}", file=sys.stderr)
        return 1
    if args.no_wait or args.at or not settings.bot_token:
        print(f"herald: recorded release {release_id}; a running Herald announces it"
              + (f" at {args.at.isoformat()}" if args.at else ""))
        return 0
    sent, failed = asyncio.run(_deliver(herald, release_id))
    print(f"herald: announced release {release_id} in {sent} channels" + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0


async def _deliver(herald: Herald, release_id: int) -> tuple[int, int]:
    """Send this release's announcements now, as the server's worker would."""
    worker = outbox_worker(herald)
    while True:
        await worker.run_once()
        with session_scope(herald.engine) as session:
            counts = delivery_counts(session, release_id)
        if not any(counts.get(state) for state in UNFINISHED):
            return counts.get("sent", 0), counts.get("failed", 0)
        await asyncio.sleep(0.2)


def _digest_run(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings.database_url)
    herald = make_herald(settings, make_engine(settings.database_url))
    with session_scope(herald.engine) as session:
        query = select(Digest.id)
        ids = session.exec(query.where(Digest.channel_id == args.channel) if args.channel else query).all()
    if args.channel and not ids:
        print(f"herald: {args.channel} has no digest", file=sys.stderr)
        return 1
    now = herald.clock()
    period = now.replace(minute=0, second=0, microsecond=0) if args.now else None  # once an hour at most
    runner = DigestRunner(herald, messenger=workers_messenger(herald))

    async def run_all() -> list[str]:
        return [await runner.run(digest_id, now=now, period=period) for digest_id in ids]

    outcomes = asyncio.run(run_all())
    summary = ", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes))) or "no digests"
    print(f"herald: {summary}")
    return 1 if "failed" in outcomes else 0


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


COMMANDS = {
    "migrate": _migrate,
    "serve": _serve,
    "socket": _socket,
    "console": _console,
    "seed": _seed_command,
    "import": _import_owners,
    "release": _release,
    "digest": _digest_run,
}

if __name__ == "__main__":
    sys.exit(main())
