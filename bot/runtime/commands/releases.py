"""`herald release announce`: record a release, and unless told to wait, announce it now."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.matching import Resolution
from bot.core.messaging import CLIENT_TIMEOUT, SETTLE
from bot.core.models import utcnow
from bot.core.render import plural
from bot.core.settings import Settings
from bot.releases.models import Delivery, DeliveryState
from bot.releases.names import UnclearName, resolve_component
from bot.releases.recording import ReleaseInput, delivery_counts, record_release
from bot.runtime.app import make_herald
from bot.runtime.commands.store import open_store
from bot.runtime.failures import UsageError
from bot.runtime.workers import outbox_worker

# How long the command waits for Slack: a post's answer (the client's timeout), and the time a post with
# no answer may still be on its way. What is not done by then a running Herald finishes.
WAIT = timedelta(seconds=CLIENT_TIMEOUT) + SETTLE
POLL = 0.5  # seconds between looks while another Herald holds a delivery
GRACE = timedelta(minutes=1)  # --at "$(date -Iseconds)" means now, not the past
NEEDS_SLACK = ("announcing needs Slack. Set it, or pass --no-wait to record the release for a running "
               "Herald to announce.")


def announce(settings: Settings, args: argparse.Namespace) -> int:
    # Everything that can refuse does so before the release is recorded.
    if args.at and args.at.tzinfo is None:
        raise UsageError("--at needs a time zone, like 2026-12-01T09:00:00+01:00")
    if args.at and args.at < utcnow() - GRACE:
        raise UsageError(f"--at {args.at.isoformat()} is in the past; leave --at out to announce now")
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
    counts = asyncio.run(_deliver(herald, release_id))
    print(f"herald: {_outcome(release_id, counts)}")
    return 0 if counts.keys() <= {DeliveryState.SENT, DeliveryState.CANCELLED} else 1


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


async def _deliver(herald: Herald, release_id: int) -> dict[str, int]:
    """Send this release's announcements now, as the server's worker would, and stop waiting once what is
    left cannot end soon: a post Slack did not answer (uncertain: to be looked for after it settles), a
    delivery backing off, or anything still unfinished after WAIT. Those are handed back, so a running
    Herald finishes them at once; a round still posting at WAIT claims nothing more, and its posts in
    flight end within the client's timeout."""
    worker = outbox_worker(herald)
    deadline = herald.clock() + WAIT
    try:
        while True:
            round_ = asyncio.ensure_future(worker.run_once())
            try:
                busy = await asyncio.wait_for(asyncio.shield(round_),
                                              timeout=max(0.0, (deadline - herald.clock()).total_seconds()))
            except TimeoutError:
                worker.stop()
                await round_
                break
            if not await asyncio.to_thread(_still_coming, herald, release_id) or herald.clock() >= deadline:
                break
            if not busy:  # posts held by another Herald, or more due than one round takes
                await asyncio.sleep(POLL)
    finally:
        worker.stop()
        worker.release_own_leases()
    with session_scope(herald.engine) as session:
        return delivery_counts(session, release_id)


def _still_coming(herald: Herald, release_id: int) -> bool:
    """Whether a delivery of this release may still be sent now: due, or held by a worker posting it."""
    with session_scope(herald.engine) as session:
        return session.exec(select(Delivery.id).where(
            Delivery.release_id == release_id,
            col(Delivery.state).in_((DeliveryState.PENDING, DeliveryState.SENDING)),
            (Delivery.state == DeliveryState.SENDING) | (col(Delivery.next_attempt_at) <= herald.clock()),
        ).limit(1)).first() is not None


def _outcome(release_id: int, counts: dict[str, int]) -> str:
    """One line: where the announcements went, and what a running Herald still has to finish."""
    sent, failed = counts.get(DeliveryState.SENT, 0), counts.get(DeliveryState.FAILED, 0)
    unanswered = counts.get(DeliveryState.UNCERTAIN, 0)
    later = counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0)
    if not unanswered and not later:
        return f"announced release {release_id} in {plural(sent, 'channel')}" + (f"; {failed:,} failed" if failed else "")
    parts = [f"sent in {plural(sent, 'channel')}"]
    if failed:
        parts.append(f"{failed:,} failed")
    if unanswered:
        parts.append(f"{unanswered:,} not confirmed yet (Slack did not answer)")
    if later:
        parts.append(f"{later:,} to try again (Slack refused for now)")
    return f"recorded release {release_id}; {', '.join(parts)}: a running Herald finishes them"
