"""HTTP mode: Slack's requests on `POST /slack/events`, a health check on `GET /healthz`."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.core.db import is_reachable
from bot.runtime import webhooks
from bot.runtime.app import Herald
from bot.runtime.workers import running

SLACK_PATH = "/slack/events"


def make_web_app(app: AsyncApp, herald: Herald, *, with_services: bool = False) -> web.Application:
    """The HTTP app; with services, this process also sends the release outbox and posts digests."""
    async def slack_events(request: web.Request) -> web.Response:
        if not request.headers.get("X-Slack-Request-Timestamp", "0").isdigit():
            return web.json_response({"ok": False, "error": "invalid request"}, status=401)  # Bolt would raise
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
    if with_services:
        async def services(_web_app: web.Application):
            async with running(herald):
                yield

        web_app.cleanup_ctx.append(services)
    return web_app
