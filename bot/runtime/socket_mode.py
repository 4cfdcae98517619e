"""Herald's Socket Mode connection: Bolt's handler, kept connected by Herald rather than by the SDK's own checks.

slack_sdk's client notices a closed connection only at its monitor's next tick, then sleeps again before it
reconnects: 5 to 10 s in which nobody's slash command is answered; and it retries a URL Slack refused forever.
So the SDK's reconnects are switched off and the ConnectionKeeper does them all: it looks at the connection every
quarter second and reconnects at once, with one locked, bounded try at a time, each failure logged in one line
and followed by a longer wait. Slack's `disconnect` is answered the same way (the old connection closes, then the
new one opens: a gap of one handshake). A connection that goes silent without closing is closed by aiohttp's
heartbeat: a ping after PING_INTERVAL seconds with nothing from Slack, and no pong within half that.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientError, ClientResponseError, WSMessage, WSMsgType
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import SettingsError
from bot.slack.client import REFUSED_TOKEN

log = logging.getLogger("herald")
PING_INTERVAL = 5.0  # seconds of quiet before a ping; no pong in half of it and the connection is dropped
WATCH_INTERVAL = 0.25  # seconds between looks at the connection
CONNECT_TIMEOUT = 10  # seconds for apps.connections.open to answer
RETRY_FIRST = 0.25  # seconds before the second try at a connection; each failure doubles it …
RETRY_LONGEST = 30.0  # … up to this (Slack unreachable, a URL refused, connections cut as they open)
STABLE = 1.0  # seconds a connection must live for its loss not to count as a failed try
DOWN_TOO_LONG = timedelta(seconds=5)  # a reconnect takes well under a second; down longer, healthz says 503


class HandshakeError(ConnectionError):
    """Slack gave a URL, but the WebSocket on it did not open (refused, expired, blocked on the way)."""


class SocketState:
    """Whether the Socket Mode connection is up, and since when: what `GET /healthz` reports in socket mode."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self.connected = False  # connecting at start counts as down, with the same grace as a reconnect
        self.since = clock()

    def update(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected, self.since = connected, self.clock()

    def healthy(self) -> bool:
        return self.connected or self.clock() - self.since <= DOWN_TOO_LONG


def socket_handler(app: AsyncApp, app_token: str, *, ping_interval: float = PING_INTERVAL) -> AsyncSocketModeHandler:
    """Bolt's handler, asking for connections with a Web API client of its own: one without retry handlers,
    so that every refused or rate-limited try is the keeper's to wait out and to log. Its SDK logger is its own
    (not registered, so it goes with the handler), for the keeper to filter."""
    web_client = AsyncWebClient(base_url=app.client.base_url, timeout=CONNECT_TIMEOUT, retry_handlers=[])
    sdk_log = logging.Logger("slack_sdk.socket_mode.herald")  # noqa: LOG001 - one a handler, freed with it
    sdk_log.parent = logging.getLogger("slack_sdk.socket_mode")
    return AsyncSocketModeHandler(app, app_token, logger=sdk_log, web_client=web_client, ping_interval=ping_interval)


@asynccontextmanager
async def connected(app: AsyncApp, app_token: str, state: SocketState) -> AsyncIterator[AsyncSocketModeHandler]:
    """`app` connected to Slack in Socket Mode and kept connected until the block ends, then disconnected:
    what `herald socket` runs, and what the tests and the bench connect with."""
    handler = socket_handler(app, app_token)
    keeper = ConnectionKeeper(handler.client, state)
    try:
        await keeper.start()
        keeping = asyncio.create_task(keeper.run())
        try:
            yield handler
        finally:
            keeping.cancel()
            with suppress(asyncio.CancelledError):
                await keeping
    finally:
        await handler.close_async()


class ConnectionKeeper:
    """Keeps `client` connected and `state` current, and logs every loss and every reconnect."""

    def __init__(self, client: SocketModeClient, state: SocketState, *, every: float = WATCH_INTERVAL) -> None:
        self.client, self.state, self.every = client, state, every
        self.asked: str | None = None  # why Slack last asked for a new connection, until Herald has one
        self.asked_on: Any = None  # the connection Slack asked that on
        self.replacing = False  # a new connection Slack asked for is on its way: the gap is no loss
        self.connected_at = time.monotonic()
        self.flaps = 0  # connections in a row that closed soon after they opened
        self.handshake_failed = asyncio.Event()
        self.handshake_error = ""
        # The SDK reconnects through connect_to_new_endpoint; with its own checks off it calls that only on
        # Slack's `disconnect`, which the keeper answers with its one locked, bounded try. (Left on, the SDK's
        # checks would call it too, and a loss would pass for a replacement Slack asked for: unlogged.)
        client.auto_reconnect_enabled = client.default_auto_reconnect_enabled = False
        client.connect_to_new_endpoint = self._replace_on_request  # type: ignore[method-assign]
        # The SDK handles `disconnect` before its message listeners, which never see it: read from the frames.
        client.on_message_listeners.append(self._on_frame)
        client.logger.addFilter(self._on_sdk_record)

    async def _on_frame(self, frame: WSMessage) -> None:
        if frame.type != WSMsgType.TEXT or '"disconnect"' not in frame.data:  # no JSON parsed twice for envelopes
            return
        message = json.loads(frame.data)
        if message.get("type") == "disconnect":
            # Frames are read by the loop of the connection they came on, which stops once it is not current.
            asked = (str(message.get("reason") or "no reason given"), self.client.current_session)
            if asked != (self.asked, self.asked_on):  # Slack may say it several times: once is news
                log.info("Socket Mode: Slack asked for a new connection (%s); reconnecting", asked[0])
            self.asked, self.asked_on = asked

    def _on_sdk_record(self, record: logging.LogRecord) -> bool:
        """The SDK logs every failed WebSocket handshake with a traceback, and retries it every ping interval: the
        keeper stops that try at once and logs it in one line of its own, naming this error."""
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not record.getMessage().startswith("Failed to connect"):
            return True
        if isinstance(error, ClientResponseError):  # its text holds the URL, and Slack's URLs carry a ticket
            self.handshake_error = f"HTTP {error.status} {error.message}"
        else:
            self.handshake_error = (str(error).splitlines() or [""])[0] or type(error).__name__
        self.handshake_failed.set()
        return False

    async def _replace_on_request(self, force: bool = False) -> None:  # `force`: the SDK's signature
        """A new connection for the one Slack asked about, however many `disconnect`s it sends."""
        if self.client.closed:
            return
        self.replacing = True
        try:  # the old connection serves meanwhile, until Slack closes it
            await self._connect_until_connected(first=False, replacing=self.asked_on)
        finally:
            self.replacing = False

    async def start(self) -> None:
        """The first connection. A token Slack refuses is the operator's to fix, so it ends `herald socket` in one
        line (SettingsError); an unreachable Slack is waited for, one log line a try, never a traceback."""
        await self._connect_until_connected(first=True)
        log.info("Socket Mode: connected")

    async def run(self) -> None:
        """Runs until cancelled, once `start` has made the first connection."""
        known = self.client.current_session  # the session last seen connected
        down_since: float | None = None
        while True:
            connected = await self.client.is_connected()
            if connected and time.monotonic() - self.connected_at >= STABLE:
                self.flaps = 0
            self.state.update((connected or self.replacing) and self.flaps < 2)  # flapping is down, for healthz
            session = self.client.current_session
            if connected and session is not known:
                log.info("Socket Mode: connected again%s", self._how_long(down_since))
                known, down_since, self.asked = session, None, None
            elif not connected and not self.replacing and not self.client.closed:
                if down_since is None:
                    down_since = time.monotonic()
                    log.warning("Socket Mode: connection lost (%s); reconnecting", self._why(known))
                await self._wait_if_flapping()
                await self._connect_until_connected(first=False)
                continue  # say so at once
            await asyncio.sleep(self.every)

    async def _wait_if_flapping(self) -> None:
        """A connection that closes within a second of opening counts as a failed try: Slack allows few
        apps.connections.open calls, and something between Herald and Slack is cutting them."""
        lived = time.monotonic() - self.connected_at
        if lived >= STABLE:
            self.flaps = 0
            return
        self.flaps += 1
        if self.flaps < 2:  # one early loss happens (a refresh, a blip); two in a row is a pattern
            return
        wait = min(RETRY_FIRST * 2 ** (self.flaps - 1), RETRY_LONGEST)
        log.warning("Socket Mode: the connection closed %.2f s after it opened (%d in a row); trying again in %.2f s",
                    lived, self.flaps, wait)
        await asyncio.sleep(wait)

    async def _connect_until_connected(self, *, first: bool, replacing: Any = None) -> None:
        delay = RETRY_FIRST
        while not self.client.closed:  # closed: Herald is stopping
            try:
                await self._connect(replacing=replacing)
                self.connected_at = time.monotonic()
                return
            except SlackApiError as error:
                code = str(error.response.get("error"))
                if first and code in REFUSED_TOKEN:
                    raise SettingsError(f"Slack refused SLACK_APP_TOKEN ({code}): use the app-level token (xapp-…) "
                                        "with the connections:write scope from your app's Basic Information page")
                wait = (_retry_after(error.response.headers) or delay) if code == "ratelimited" else delay
                reason = _reason(error)
            except (ClientError, OSError, TimeoutError) as error:  # HandshakeError is an OSError too
                wait, reason = delay, _reason(error)
            log.warning("Socket Mode: could not %s (%s); trying again in %.2f s", "connect" if first else "reconnect",
                        reason, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, RETRY_LONGEST)

    async def _connect(self, *, replacing: Any = None) -> None:
        """One try at a new connection, on a fresh URL, unless one other than `replacing` is up. Under the SDK's
        lock, so that two reasons to reconnect make one connection; given up at the first failed handshake (the
        SDK would retry that URL forever, where a URL Slack refused once it always will) or after a ping interval."""
        async with self.client.connect_operation_lock:
            if await self.client.is_connected() and self.client.current_session is not replacing:
                return
            response = await self.client.web_client.apps_connections_open(app_token=self.client.app_token)
            self.client.wss_uri = response["url"]
            self.handshake_failed.clear()
            connecting = asyncio.ensure_future(self.client.connect())
            failing = asyncio.ensure_future(self.handshake_failed.wait())
            try:
                await asyncio.wait({connecting, failing}, timeout=self.client.ping_interval,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                failing.cancel()
                opened = connecting.done()
                connecting.cancel()
            if not opened:
                raise HandshakeError(self.handshake_error if self.handshake_failed.is_set() else
                                     f"none within {self.client.ping_interval:g} s")
            self.client.last_ping_pong_time = None  # the SDK's clock of pongs starts again with this connection

    def _why(self, session: Any) -> str:
        if self.asked:
            return f"Slack asked: {self.asked}"
        if isinstance(session.exception(), TimeoutError):  # aiohttp's heartbeat: a ping went unanswered
            return f"no answer to a ping within {self.client.ping_interval / 2:g} s"
        return "closed by the other end or the network"

    def _how_long(self, down_since: float | None) -> str:
        if down_since is None:
            return f" ({self.asked})" if self.asked else " on a new connection"
        return f" after {time.monotonic() - down_since:.2f} s"


def _reason(error: Exception) -> str:
    """Why a try at a connection failed, in a few words: Slack's error code, or what stood in the way."""
    if isinstance(error, SlackApiError):
        code = error.response.get("error")
        return f"Slack answered {code}" if code else f"Slack answered HTTP {error.response.status_code}"
    if isinstance(error, HandshakeError):
        return f"the WebSocket did not open: {error}"
    return f"Slack unreachable: {error or type(error).__name__}"


def _retry_after(headers: dict[str, Any]) -> float | None:
    """Slack's Retry-After, in seconds, whatever the header's case (HTTP/2 sends it lower-case)."""
    value = next((str(v) for k, v in headers.items() if k.lower() == "retry-after"), "")
    return float(value) if value.isdigit() else None
