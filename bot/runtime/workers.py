"""What runs beside the Slack listeners in `herald serve` and `herald socket`: the release outbox and digests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.herald import Herald
from bot.digests.runner import DigestRunner
from bot.digests.scheduler import DigestScheduler
from bot.releases.outbox import DeliveryWorker
from bot.slack.client import make_client
from bot.slack.messenger import Messenger


def outbox_worker(herald: Herald) -> DeliveryWorker:
    """The outbox speaks to Slack through a client that never retries by itself (see make_client)."""
    return DeliveryWorker(herald, Messenger(make_client(herald.settings, retries=False)))


@asynccontextmanager
async def running(herald: Herald) -> AsyncIterator[None]:
    """The release outbox worker and the digest scheduler, for as long as the app runs."""
    worker = asyncio.create_task(outbox_worker(herald).run_forever())
    digest_jobs = DigestScheduler(herald, DigestRunner(herald))
    await digest_jobs.start()
    try:
        yield
    finally:
        digest_jobs.stop()
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
