"""HTTP mode: Slack's requests on `POST /slack/events`, a health check on `GET /healthz`."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.app import Herald
from bot import webhooks
from bot.db import is_reachable
from bot.delivery_worker import DeliveryWorker

SLACK_PATH = "/slack/events"


def make_web_app(app: AsyncApp, herald: Herald, *, worker: DeliveryWorker | None = None) -> web.Application:
    """The HTTP app; with a worker, the release outbox is sent from this process too."""
    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        if is_reachable(herald.engine):
            return web.json_response({"ok": True, "store": "reachable"})
        return web.json_response({"ok": False, "store": "unreachable"}, status=503)

    async def drain_background(_web_app: web.Application) -> None:
        await herald.background.drain()

    web_app = web.Application()
    web_app.router.add_post(SLACK_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    webhooks.add_routes(web_app, herald)
    web_app.on_shutdown.append(drain_background)
    if worker is not None:
        web_app.cleanup_ctx.append(lambda _: run_in_background(worker.run_forever()))
    return web_app


async def run_in_background(work):
    """An aiohttp cleanup context: start `work` with the app, cancel it when the app stops."""
    task = asyncio.create_task(work)
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
