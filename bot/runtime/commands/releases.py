"""`herald release announce`: record a release, and unless told to wait, announce it now."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from sqlmodel import Session

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.settings import Settings
from bot.releases.names import Resolution, UnclearName, resolve_component
from bot.releases.outbox import UNFINISHED
from bot.releases.recording import ReleaseInput, delivery_counts, record_release
from bot.runtime.app import make_herald
from bot.runtime.commands.store import open_store
from bot.runtime.failures import UsageError
from bot.runtime.workers import outbox_worker

NEEDS_SLACK = ("announcing needs Slack. Set it, or pass --no-wait to record the release for a running "
               "Herald to announce.")


def announce(settings: Settings, args: argparse.Namespace) -> int:
    # Everything that can refuse does so before the release is recorded.
    if args.at and args.at.tzinfo is None:
        raise UsageError("--at needs a time zone, like 2026-12-01T09:00:00+01:00")
    waits = args.no_wait or args.at
    if not waits:
        settings.require_bot_token(NEEDS_SLACK)
    notes = args.notes_file.read_text(encoding="utf-8") if args.notes_file else ""
    herald = make_herald(settings, open_store(settings))
    with session_scope(herald.engine) as session:
        component = _component(session, args)
    data = ReleaseInput(component=component.spelling, version=args.version, title=args.title, notes=notes,
                        link=args.link, tags=args.tag, prerelease=args.prerelease, announce_at=args.at,
                        source="cli", created_by=os.environ.get("USER"))
    with session_scope(herald.engine) as session:
        release_id = record_release(session, data, now=herald.clock()).id
    if waits:
        print(f"herald: recorded release {release_id}; a running Herald announces it"
              + (f" at {args.at.isoformat()}" if args.at else ""))
        return 0
    sent, failed = asyncio.run(_deliver(herald, release_id))
    print(f"herald: announced release {release_id} in {sent} channels" + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0


def _component(session: Session, args: argparse.Namespace) -> Resolution:
    """The component as Herald knows it; a name close to a known one is refused, as Slack asks, unless
    --new-component says the typed one is meant."""
    try:
        component = resolve_component(session, args.component, as_typed=args.new_component)
    except UnclearName as unclear:
        raise UsageError(f"{unclear} Pass --new-component to record it under “{unclear.typed}” anyway.") from None
    if not component.known:
        print(f"herald: nothing called “{component.typed}” is known yet; recording its first release",
              file=sys.stderr)
    return component


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
