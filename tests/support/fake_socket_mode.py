"""Slack's side of Socket Mode, served by the fake Slack: the tests drive Herald's real Socket Mode client with it.

As Slack does: `apps.connections.open` (with the app-level token) hands out a WebSocket URL; each connection
gets `hello`; envelopes (`slash_commands`, `events_api` with `retry_attempt` and `retry_reason`,
`interactive`) are spread over the open connections and must be acked by `envelope_id` within 3 s; a
`disconnect` message asks the app for a new connection. And as networks do: a connection can be dropped
(no close frame) or go silent (nothing sent, pings unanswered, acks lost).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

ACK_WITHIN = 3.0  # seconds Slack waits for an envelope's ack


class NotAcked(AssertionError):
    """Herald did not ack an envelope in time: the person who typed the command sees Slack's timeout error."""


@dataclass(eq=False)
class Connection:
    """One app connection as Slack sees it."""

    number: int
    ws: web.WebSocketResponse
    request: web.Request
    opened_at: float  # time.monotonic() when hello was sent
    silent: bool = False
    envelopes: list[dict[str, Any]] = field(default_factory=list)  # every envelope sent on it
    acks: dict[str, asyncio.Future] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return not self.ws.closed and self.request.transport is not None and not self.request.transport.is_closing()

    @property
    def live(self) -> bool:
        return self.open and not self.silent


class SocketModePeer:
    """The Socket Mode half of FakeSlack; tests reach it as `slack.socket_mode`."""

    def __init__(self) -> None:
        self.connections: list[Connection] = []  # every connection ever opened, in order
        self.tickets: list[str] = []  # URLs handed out by apps.connections.open
        self._base_ws_url = ""
        self._numbers = itertools.count(1)
        self._turn = itertools.count()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/link/{ticket}", self._link)

    def serve_at(self, http_root: str) -> None:
        self._base_ws_url = http_root.replace("http://", "ws://", 1) + "link/"

    def open_url(self) -> dict[str, Any]:
        """apps.connections.open: a fresh URL for one connection."""
        ticket = uuid.uuid4().hex
        self.tickets.append(ticket)
        return {"url": self._base_ws_url + ticket}

    @property
    def live(self) -> list[Connection]:
        return [c for c in self.connections if c.live]

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        if request.match_info["ticket"] not in self.tickets:
            raise web.HTTPUnauthorized(text="invalid ticket")
        self.tickets.remove(request.match_info["ticket"])  # a URL serves one connection, as Slack's do
        ws = web.WebSocketResponse(autoping=False)  # pings answered here, so that a silent link can ignore them
        await ws.prepare(request)
        connection = Connection(next(self._numbers), ws, request, time.monotonic())
        self.connections.append(connection)
        await ws.send_json({"type": "hello", "num_connections": len(self.live),
                            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                            "connection_info": {"app_id": "A0HERALD"}})  # fmt: skip
        async for message in ws:
            if connection.silent:
                continue
            if message.type == WSMsgType.PING:
                await ws.pong(message.data)
            elif message.type == WSMsgType.TEXT:
                self._acked(connection, json.loads(message.data))
        return ws

    def _acked(self, connection: Connection, ack: dict[str, Any]) -> None:
        future = connection.acks.pop(str(ack.get("envelope_id")), None)
        if future is not None and not future.done():
            future.set_result(ack.get("payload") or {})

    async def wait_for(self, count: int = 1, *, newer_than: Connection | None = None, timeout: float = 10) -> Connection:
        """Waits until `count` connections are live (opened after `newer_than`, if given); returns the newest."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = [c for c in self.live if newer_than is None or c.number > newer_than.number]
            if len(fresh) >= count:
                return fresh[-1]
            if (left := deadline - time.monotonic()) <= 0:
                raise TimeoutError(f"{len(fresh)} of {count} Socket Mode connections open after {timeout} s")
            await asyncio.sleep(min(left, 0.02))

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        to: Connection | None = None,
        ack_within: float = ACK_WITHIN,
    ) -> dict[str, Any]:
        """One envelope, on `to` or on the next open connection in turn; returns the ack's payload.

        Raises NotAcked when no ack comes within `ack_within` seconds.
        """
        connection = to or self._next()
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": kind != "events_api"}  # fmt: skip
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        acked = connection.acks[envelope_id] = asyncio.get_running_loop().create_future()
        connection.envelopes.append(envelope)
        await connection.ws.send_str(json.dumps(envelope))
        try:
            return await asyncio.wait_for(acked, timeout=ack_within)
        except TimeoutError:
            connection.acks.pop(envelope_id, None)
            raise NotAcked(f"no ack for {kind} envelope {envelope_id} on connection {connection.number} "
                           f"within {ack_within} s") from None

    def _next(self) -> Connection:
        """Open connections in turn, silent ones too: Slack cannot tell a silent one from a quiet one."""
        open_ = [c for c in self.connections if c.open]
        if not open_:
            raise NotAcked("no Socket Mode connection is open: Slack cannot deliver this")
        return open_[next(self._turn) % len(open_)]

    async def ask_to_reconnect(self, connection: Connection, reason: str = "refresh_requested") -> None:
        """Slack's `disconnect` message; Slack closes the old connection itself some seconds later."""
        await connection.ws.send_json({"type": "disconnect", "reason": reason,
                                       "debug_info": {"host": "fake-slack"}})  # fmt: skip

    @staticmethod
    def drop(connection: Connection) -> None:
        """The network cuts the connection: no close frame, the socket is just gone."""
        connection.request.transport.abort()

    @staticmethod
    def silence(connection: Connection) -> None:
        """The connection stays open but nothing comes back: no pongs, no acks, no envelopes."""
        connection.silent = True

    async def close_all(self) -> None:
        for connection in self.connections:
            if connection.request.transport is not None:
                connection.request.transport.abort()
