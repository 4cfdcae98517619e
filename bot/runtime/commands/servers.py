"""`herald serve` and `herald socket`: Herald answering Slack, with its workers running beside it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from bot.core.db import shown_url
from bot.core.settings import Settings
from bot.runtime.app import create_app, make_herald
from bot.runtime.commands.store import open_store
from bot.runtime.server import make_web_app
from bot.runtime.socket_mode import SocketState, connected
from bot.runtime.workers import running
from bot.slack.client import check_bot_token

log = logging.getLogger("herald")


def serve(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require_http()
    herald = make_herald(settings, open_store(settings, name_it=False))
    asyncio.run(check_bot_token(herald.slack))
    web_app = make_web_app(create_app(herald), herald, with_services=True)
    log.info("Herald is listening on port %s (POST /slack/events); store: %s", settings.port,
             shown_url(settings.database_url))
    web.run_app(web_app, port=settings.port, print=None)
    return 0


def socket(settings: Settings, args: argparse.Namespace) -> int:
    settings.require_socket()
    herald = make_herald(settings, open_store(settings, name_it=False))
    with_http = not getattr(args, "no_http", False)  # `herald` alone picks socket mode with no flags parsed
    log.info("Herald is connecting to Slack in Socket Mode%s; store: %s",
             f", health and webhooks on port {settings.port}" if with_http else "", shown_url(settings.database_url))

    async def run() -> None:
        # SIGTERM ends the connection the way Ctrl-C does, so the workers hand back what they hold.
        main_task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        state = SocketState()
        runner = web.AppRunner(make_web_app(None, herald, socket=state)) if with_http else None
        try:
            if runner is not None:
                await runner.setup()
                await web.TCPSite(runner, port=settings.port).start()
            await check_bot_token(herald.slack)
            async with connected(create_app(herald), settings.app_token, state) as handler, running(herald):
                try:
                    await asyncio.Event().wait()  # until SIGTERM or Ctrl-C
                finally:  # take no more envelopes (closing twice is harmless), then post the answers already acked
                    await handler.close_async()
                    await herald.background.drain()
        finally:
            if runner is not None:
                await runner.cleanup()

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(run())
    return 0

