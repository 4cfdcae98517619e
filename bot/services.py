"""What runs beside the Slack listeners in `herald serve` and `herald socket`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import Herald, make_client
from bot.delivery_worker import DeliveryWorker
from bot.digest_runner import DigestRunner, DigestScheduler


def outbox_worker(herald: Herald) -> DeliveryWorker:
    return DeliveryWorker(herald, make_client(herald.settings, retries=False))


@asynccontextmanager
async def running(herald: Herald) -> AsyncIterator[None]:
    """The release outbox worker and the digest scheduler, for as long as the app runs."""
    worker = asyncio.create_task(outbox_worker(herald).run_forever())
    herald.digest_jobs = DigestScheduler(herald, DigestRunner(herald))
    await herald.digest_jobs.start()
    try:
        yield
    finally:
        herald.digest_jobs.stop()
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
