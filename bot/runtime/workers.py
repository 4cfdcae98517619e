"""What runs beside the Slack listeners in `herald serve` and `herald socket`: the release outbox, digests and
sign-off nudges."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.herald import Herald
from bot.core.messaging import CLIENT_TIMEOUT
from bot.digests.runner import DigestRunner
from bot.digests.scheduler import DigestScheduler
from bot.releases.outbox import DeliveryWorker
from bot.signoffs.nudges import NudgeRunner
from bot.slack.client import make_client
from bot.slack.messenger import Messenger
from bot.slack.usergroups import keep_announcers_fresh
from bot.slack.zones import SlackTimeZones

log = logging.getLogger(__name__)

DRAIN = 10.0  # seconds a stopping process gives posts in flight before handing them back
NUDGE_EVERY = 300.0  # seconds between sign-off nudge runs: a nudge goes out at most this long after 10:00


def workers_messenger(herald: Herald) -> Messenger:
    """The outbox and the digests speak to Slack through a client that never retries by itself (see make_client),
    and gives up after CLIENT_TIMEOUT: the outbox looks for a post only once it can no longer be on its way."""
    return Messenger(make_client(herald.settings, retries=False, timeout=CLIENT_TIMEOUT))


def outbox_worker(herald: Herald, messenger: Messenger | None = None) -> DeliveryWorker:
    return DeliveryWorker(herald, messenger or workers_messenger(herald))


async def keep_nudging(runner: NudgeRunner, *, every: float = NUDGE_EVERY) -> None:
    """A sign-off nudge run every few minutes; one that fails is logged and the next one carries on."""
    while True:
        try:
            await runner.run()
        except Exception:
            log.exception("sign-off nudge run failed; trying again in %.0f s", every)
        await asyncio.sleep(every)


@asynccontextmanager
async def running(herald: Herald, *, drain: float = DRAIN) -> AsyncIterator[None]:
    """The release outbox worker, the digest scheduler, sign-off nudges and the announcer groups' members, while
    the app runs.

    On the way out (SIGTERM) the worker claims nothing more, posts in flight get `drain` seconds to
    finish, and every lease this process still holds is handed back, so another replica (or this
    one's next start) carries on at once instead of waiting for the leases to run out.
    """
    messenger = workers_messenger(herald)
    worker = outbox_worker(herald, messenger)
    sending = asyncio.create_task(worker.run_forever())
    announcers = asyncio.create_task(keep_announcers_fresh(herald))
    nudges = asyncio.create_task(keep_nudging(NudgeRunner(herald, zones=SlackTimeZones(herald.slack),
                                                          messenger=messenger)))
    digest_jobs = DigestScheduler(herald, DigestRunner(herald, messenger=messenger))
    await digest_jobs.start()
    try:
        yield
    finally:
        digest_jobs.stop()
        announcers.cancel()
        nudges.cancel()
        worker.stop()
        try:
            await asyncio.wait_for(asyncio.shield(sending), timeout=drain)
        except TimeoutError:
            log.warning("posts still in flight after %.0f s; handing them back to be looked for", drain)
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
        worker.release_own_leases()
