"""`herald digest run`: post the digests that are due, for cron instead of the scheduler."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlmodel import select

from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.digests.models import Digest
from bot.digests.runner import DigestRunner
from bot.runtime.app import make_herald
from bot.runtime.commands.store import open_store
from bot.runtime.workers import workers_messenger

NEEDS_SLACK = "posting digests needs Slack. Set it, or let a running Herald post them on their schedule."


def run_digests(settings: Settings, args: argparse.Namespace) -> int:
    settings.require_bot_token(NEEDS_SLACK)  # before any digest is claimed for this period
    herald = make_herald(settings, open_store(settings))
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
