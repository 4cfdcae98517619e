"""What Slack sends Herald, built from the real payloads in tests/fixtures, over either transport.

Over HTTP, signed POSTs to /slack/events; over Socket Mode, envelopes the fake Slack sends on Herald's
connection. A test written against SlackSender runs on both unchanged (conftest's `sender` fixture).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.support.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"  # copies of shared/fixtures; see its README


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def slash_command_form(
    text: str, *, response_url: str, user: str = "U0ANN", channel: str = "C0GENERAL", command: str = "/launch"
) -> dict[str, str]:
    """A slash command's fields: Slack's real payload, with the fields Herald reads set."""
    return fixture_json("slack/slash_command.json") | {
        "command": command,
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "team_id": "T0HERALD",
        "response_url": response_url,
    }


def slash_command_body(
    text: str, *, response_url: str, user: str = "U0ANN", channel: str = "C0GENERAL", command: str = "/launch"
) -> str:
    """A slash command's form body, as Slack POSTs it over HTTP."""
    return urlencode(slash_command_form(text, response_url=response_url, user=user, channel=channel, command=command))


def event_payload(fixture: str, event: dict[str, Any], *, event_id: str) -> dict[str, Any]:
    """An Events API payload: the real one in `fixture`, its event updated with `event`, delivered as `event_id`."""
    payload = fixture_json(fixture)
    payload["event"] |= event
    payload["event_id"] = event_id
    return payload


def signed_headers(body: str, content_type: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`: its type, the time and the signature Bolt checks with SIGNING_SECRET."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body),
    }


def read_ack(raw: str) -> dict[str, Any] | str:
    """An HTTP ack's body as Socket Mode carries it (JSON, `{}` when empty), or its text when it is not JSON."""
    try:
        return json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return raw


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | str

    @property
    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), f"not JSON: {self.body!r}"
        return self.body

    @property
    def text(self) -> str:
        """Everything a person would read in the answer: the fallback text and every block's text."""
        return json.dumps(self.json, ensure_ascii=False)


class SlackSender:
    """Slack's side of Herald's conversation; `base_url` is Herald's web app (webhooks, health) in either mode."""

    def __init__(self, base_url: str, *, slack: FakeSlack, herald, transport: str = "http") -> None:
        self.url = base_url + "/slack/events"
        self.base_url = base_url
        self.slack = slack
        self.herald = herald
        self.transport = transport

    async def __aenter__(self) -> SlackSender:
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.herald.background.drain()
        await self.session.close()

    async def command(
        self, text: str, *, user: str = "U0ANN", channel: str = "C0GENERAL", command: str = "/launch"
    ) -> Answer:
        form = slash_command_form(
            text, response_url=self.slack.response_url("command"), user=user, channel=channel, command=command
        )
        return await self.deliver("slash_commands", form)

    async def action(self, action: dict[str, Any], *, user: str = "U0ANN", view: dict | None = None) -> Answer:
        payload = fixture_json("slack/block_actions.json")
        if view is not None:  # a button inside a modal rather than a message
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        payload["user"]["id"] = user
        payload["team"]["id"] = "T0HERALD"
        payload["actions"] = [action | {"block_id": "b1", "action_ts": "1700000000.000001"}]
        payload["response_url"] = self.slack.response_url("action")
        return await self.deliver("interactive", payload)

    async def view_submission(self, view: dict[str, Any], *, user: str = "U0ANN") -> Answer:
        payload = fixture_json("slack/view_submission.json")
        payload["user"]["id"] = user
        payload["team"]["id"] = "T0HERALD"
        payload["view"] = payload["view"] | view
        return await self.deliver("interactive", payload)

    async def event(self, fixture: str, event: dict[str, Any], *, event_id: str, retry_num: int | None = None) -> Answer:
        """An Events API delivery built on a real payload, as Slack sends it (and re-sends it)."""
        return await self.deliver("events_api", event_payload(fixture, event, event_id=event_id), retry_num=retry_num)

    async def deliver(self, kind: str, payload: dict[str, Any], *, retry_num: int | None = None) -> Answer:
        """One delivery of `kind` (Socket Mode's envelope types) over this sender's transport.

        Over Socket Mode the answer is the ack's payload; an envelope not acked within 3 s fails the test
        (fake_socket_mode.NotAcked), as Slack would show the person a timeout.
        """
        if self.transport == "socket":
            ack = await self.slack.socket_mode.send(kind, payload, retry_attempt=retry_num or 0,
                                                    retry_reason="timeout" if retry_num else "")
            return Answer(200, ack)
        if kind == "events_api":
            headers = {} if retry_num is None else {"X-Slack-Retry-Num": str(retry_num),
                                                    "X-Slack-Retry-Reason": "http_timeout"}
            return await self.post(json.dumps(payload), "application/json", extra_headers=headers)
        form = payload if kind == "slash_commands" else {"payload": json.dumps(payload)}
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def post(  # HTTP only: a raw body, signed (or not) as the test says
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Answer:
        headers = signed_headers(body, content_type, timestamp=timestamp)
        if signature:
            headers["X-Slack-Signature"] = signature
        headers |= extra_headers or {}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return Answer(response.status, read_ack(await response.text()))

    async def settle(self) -> None:
        """Wait until the work Herald does after answering (posting updates) has finished."""
        await self.herald.background.drain()
