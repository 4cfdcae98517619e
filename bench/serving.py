"""Herald as the benchmarks run it: its store, its settings against a fake Slack, its app served over real HTTP
or connected in Socket Mode, and slash commands timed against it (and against bare Bolt apps, the floor).

Every app is served the same way (tests.support.harness.served: aiohttp on 127.0.0.1, an ephemeral
port) and answered the same requests, built and signed as Slack does before the clock starts; or
connected the same way (tests.support.harness.on_socket: the handler and ConnectionKeeper `herald socket` uses) and sent the
same envelopes by the fake Slack's Socket Mode peer.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import sys
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import aiohttp
import sqlalchemy
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.measure import Stopwatch
from bot.core.db import make_engine
from bot.core.settings import Settings, load_settings
from bot.runtime.app import create_app, make_herald
from bot.runtime.server import SLACK_PATH, make_web_app
from tests.support import fake_socket_mode
from tests.support.fake_slack import FakeSlack
from tests.support.harness import herald_environment, served
from tests.support.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body, slash_command_form

BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0HERALD"


def store_engine(database_url: str) -> sqlalchemy.Engine:
    return make_engine(load_settings({"DATABASE_URL": database_url}).database_url)


def fake_slack() -> FakeSlack:
    """The Web API Herald talks to (start it with `async with`): knows #general and @ann."""
    slack = FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID)
    slack.add_channel("C0GENERAL", "general")
    slack.add_user("U0ANN", "ann")
    return slack


def herald_settings(database_url: str, slack_api_url: str) -> Settings:
    """Herald's settings as the tests make them (tests.support.harness.herald_environment), for this store and fake."""
    return load_settings(herald_environment(bot_token=BOT_TOKEN, slack_api_url=slack_api_url,
                                            database_url=database_url))  # fmt: skip


async def timed_command(session: aiohttp.ClientSession, url: str, text: str, *, response_url: str,
                        command: str = "/launch") -> tuple[int, bytes, float]:  # fmt: skip
    """POST a signed slash command; (status, body, ms) from sending until the whole answer is read.

    The body is built and signed first (Slack's side), outside the time.
    """
    body = slash_command_body(text, response_url=response_url, command=command)
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    with Stopwatch() as watch:
        async with session.post(url, data=body.encode(), headers=headers) as response:
            answer = await response.read()
    return response.status, answer, watch.ms


async def timed_envelope(
    peer: fake_socket_mode.SocketModePeer,
    connection: fake_socket_mode.Connection,
    text: str,
    *,
    response_url: str,
    command: str = "/launch",
) -> tuple[dict[str, Any], float]:
    """Send a slash command's envelope on `connection`; (ack payload, ms) from sending until the ack is back.

    The command's fields are built first, outside the time; wrapping them in an envelope and encoding it is
    the sending, inside. Raises fake_socket_mode.NotAcked when no ack comes within Slack's 3 s.
    """
    form = slash_command_form(text, response_url=response_url, command=command)
    with Stopwatch() as watch:
        ack = await peer.send("slash_commands", form, to=connection)
    return ack, watch.ms


def bare_app(slack_api_url: str, *, process_before_response: bool) -> AsyncApp:
    """A Bolt app whose /launch listener only acks: the floor under Herald's ack, on either transport."""
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/launch")
    async def only_ack(ack) -> None:
        await ack()

    return app


def bare_web_app(slack_api_url: str, *, process_before_response: bool) -> web.Application:
    """bare_app served exactly like Herald's (bot.runtime.server)."""
    app = bare_app(slack_api_url, process_before_response=process_before_response)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application()
    web_app.router.add_post(SLACK_PATH, slack_events)
    return web_app


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class ServingProcess:
    """Herald's real app served by a child process of its own, so that its peak RSS is the server's alone.

    Start it before this process grows: on Linux a child inherits the parent's ru_maxrss through fork
    and exec (hence "spawn"). serve() hands it the store and the fake Slack and returns the events URL;
    stop() ends the serving and returns the child's peak RSS in MB.
    """

    def __init__(self) -> None:
        context = get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(target=_serving_process, args=(theirs,), daemon=True)
        self.process.start()

    async def serve(self, database_url: str, slack_api_url: str) -> str:
        self.pipe.send((database_url, slack_api_url))
        return await asyncio.to_thread(self.pipe.recv)

    async def stop(self) -> float:
        self.pipe.send("stop")
        rss = await asyncio.to_thread(self.pipe.recv)
        await asyncio.to_thread(self.process.join, 60)
        return rss

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.terminate()


def _serving_process(pipe: Connection) -> None:
    """The child: receives (database URL, Slack API URL), sends the events URL, serves until told to stop,
    then sends its peak RSS."""
    logging.basicConfig(level=logging.WARNING)
    database_url, slack_api_url = pipe.recv()
    asyncio.run(_serve_until_stopped(database_url, slack_api_url, pipe))
    pipe.send(rss_mb())


async def _serve_until_stopped(database_url: str, slack_api_url: str, pipe: Connection) -> None:
    settings = herald_settings(database_url, slack_api_url)
    engine = make_engine(settings.database_url)
    herald = make_herald(settings, engine)
    async with served(make_web_app(create_app(herald), herald)) as base_url:
        pipe.send(base_url + SLACK_PATH)
        await asyncio.to_thread(pipe.recv)  # "stop"
        await herald.background.drain()
    engine.dispose()
