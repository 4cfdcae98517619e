"""Herald's HTTP app: Slack's requests on `POST /slack/events` (HTTP mode only), health on `GET /healthz`, webhooks."""

from __future__ import annotations

import asyncio

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.core.db import is_reachable
from bot.runtime import webhooks
from bot.runtime.app import Herald
from bot.runtime.socket_mode import SocketState
from bot.runtime.workers import running

SLACK_PATH = "/slack/events"
HEALTH_WAIT = 2.0  # seconds healthz waits for the store before calling it unreachable


def make_web_app(app: AsyncApp | None, herald: Herald, *, with_services: bool = False,
                 socket: SocketState | None = None) -> web.Application:
    """The HTTP app; with services, this process also sends the release outbox and posts digests.

    With a `socket` state, Slack talks over Socket Mode: no `/slack/events`, and healthz reports the connection too.
    """
    async def slack_events(request: web.Request) -> web.Response:
        if not request.headers.get("X-Slack-Request-Timestamp", "0").isdigit():
            return web.json_response({"ok": False, "error": "invalid request"}, status=401)  # Bolt would raise
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    probing: asyncio.Future[bool] | None = None

    async def store_reachable() -> bool:
        """The store's answer within HEALTH_WAIT, asked in a thread: a store that stops answering (a network
        black hole) must not hold the event loop, and so every ack. One probe at a time, however often asked."""
        nonlocal probing
        if probing is None or probing.done():
            probing = asyncio.ensure_future(asyncio.to_thread(is_reachable, herald.engine))
        try:
            return await asyncio.wait_for(asyncio.shield(probing), HEALTH_WAIT)
        except TimeoutError:
            return False

    async def healthz(_request: web.Request) -> web.Response:
        reachable = await store_reachable()
        health: dict[str, object] = {"store": "reachable" if reachable else "unreachable"}
        healthy = reachable
        if socket is not None:
            health = {"socket": "connected" if socket.connected else "disconnected",
                      "since": socket.since.isoformat(), **health}
            healthy = healthy and socket.healthy()
        return web.json_response({"ok": healthy, **health}, status=200 if healthy else 503)

    async def drain_background(_web_app: web.Application) -> None:
        await herald.background.drain()

    web_app = web.Application()
    if socket is None:
        if app is None:
            raise ValueError("HTTP mode needs the Slack app to answer POST /slack/events")
        web_app.router.add_post(SLACK_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    webhooks.add_routes(web_app, herald)
    web_app.on_shutdown.append(drain_background)
    if with_services:
        async def services(_web_app: web.Application):
            async with running(herald):
                yield

        web_app.cleanup_ctx.append(services)
    return web_app
