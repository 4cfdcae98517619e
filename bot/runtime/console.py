"""The local console: Herald without Slack. Commands go through the same Bolt app, listeners and store;
replies and channel posts are printed as readable text instead of being sent."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.herald import Herald
from bot.core.render import Message, slack_escape, slack_unescape
from bot.core.slack_ids import CHANNEL_MENTION, USER_MENTION
from bot.runtime.app import create_app
from bot.runtime.demo import CONSOLE_USER, DEMO_CHANNELS, DEMO_USERS, DEPARTED

CONSOLE_TEAM = "T0CONSOLE"
CONSOLE_CHANNEL = "C0CONSOLE"
EMOJI = {
    ":red_circle:": "🔴",
    ":large_yellow_circle:": "🟡",
    ":large_green_circle:": "🟢",
    ":white_check_mark:": "✅",
    ":white_large_square:": "⬜",
    ":rotating_light:": "🚨",
}
PROMPT = "herald> "
GREETING = """Herald console: Slack commands, answered here from the local store.
Try `/launch status`, `/launch status checkout v2`, `/launch help`. Ctrl-D or `exit` quits.
You are @ava; demo people: @ben @chiara @devon @emi; channels: #launches #payments #mobile."""


class ConsoleWebClient(AsyncWebClient):
    """Stands in for Slack's Web API: what Herald would post is printed instead."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(token=None)
        self.out = out

    async def api_call(self, api_method: str, *, json: dict | None = None, data: dict | None = None,
                       params: dict | None = None, http_verb: str = "POST", **_: Any) -> AsyncSlackResponse:
        args = {**(params or {}), **(data or {}), **(json or {})}
        reply: dict[str, Any] = {"ok": True}
        if api_method == "users.info":  # the demo people, as Slack would describe them
            reply["user"] = demo_user(args.get("user", ""))
        elif api_method == "users.list":
            reply["members"] = [demo_user(user_id) for user_id in DEMO_USERS]
        elif "text" in args or "blocks" in args:
            where = name_of(args.get("channel", ""))
            thread = " (in thread)" if args.get("thread_ts") else ""
            self.out.write(f"\n── posted to {where}{thread} ──\n{as_text(args)}\n")
        elif "view" in args:  # a modal or the App Home: shown, though the console cannot fill it in
            self.out.write(f"\n── {api_method}: a form Slack would show ──\n{as_text(args['view'])}\n")
        reply.update(channel=args.get("channel"), ts=f"{time.time():.6f}")
        return AsyncSlackResponse(client=self, http_verb=http_verb, api_url=api_method, req_args=args,
                                  data=reply, headers={}, status_code=200)


def demo_user(user_id: str) -> dict[str, Any]:
    name = name_of(user_id)
    return {"id": user_id, "name": name, "deleted": user_id in DEPARTED, "profile": {"display_name": name}}


def as_text(message: Message) -> str:
    """A Block Kit message as a person would read it, in a terminal."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"━━ {block['text']['text']} ━━")
        elif kind == "section":
            if "text" in block:
                lines.append(block["text"]["text"])
            lines.extend(field["text"].replace("\n", ": ", 1) for field in block.get("fields", []))
        elif kind == "context":
            lines.extend("  " + element.get("text", "") for element in block["elements"])
        elif kind == "actions":
            lines.append("  " + "  ".join(f"[{element['text']['text']}]" for element in block["elements"]))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "input":
            lines.append(f"[ {block['label']['text']} ]")
        elif kind == "markdown":
            lines.append(block["text"])
    text = "\n".join(lines) or message.get("text", "")
    return _plain(text)


def _plain(mrkdwn: str) -> str:
    text = USER_MENTION.sub(lambda m: "@" + name_of(m.group(1)), mrkdwn)
    text = CHANNEL_MENTION.sub(lambda m: name_of(m.group(1)), text)
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    for code, emoji in EMOJI.items():
        text = text.replace(code, emoji)
    return slack_unescape(text)


def as_slack_typed(text: str) -> str:
    """What Slack would send for typed text: `&<>` escaped, @person and #channel turned into links."""
    text = slack_escape(text)
    for user_id, label in DEMO_USERS.items():
        name = label.split(" ")[0]
        text = re.sub(rf"(?<!\w)@{name}\b", f"<@{user_id}|{name}>", text)
    for channel_id, name in DEMO_CHANNELS.items():
        text = re.sub(rf"(?<!\w)#{name}\b", f"<#{channel_id}|{name}>", text)
    return text


def name_of(slack_id: str) -> str:
    if slack_id in DEMO_CHANNELS:
        return "#" + DEMO_CHANNELS[slack_id]
    return DEMO_USERS.get(slack_id, slack_id).split(" ")[0]


class Console:
    def __init__(self, herald: Herald, *, out: TextIO = sys.stdout, user_id: str = CONSOLE_USER) -> None:
        self.herald = herald
        self.out = out
        self.user_id = user_id
        self.app = create_app(herald, authorize=_console_authorize)

    async def run_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if not line.startswith("/"):
            self.out.write("Type a slash command, like `/launch status`.\n")
            return
        command, _, text = line.partition(" ")
        body = urlencode({
            "command": command, "text": as_slack_typed(text), "user_id": self.user_id, "user_name": name_of(self.user_id),
            "channel_id": CONSOLE_CHANNEL, "channel_name": "console", "team_id": CONSOLE_TEAM,
            "response_url": "", "trigger_id": "console",
        })
        request = AsyncBoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})
        response = await self.app.async_dispatch(request)
        if response.status == 404:
            self.out.write(f"Herald has no {command} command.\n")
        elif response.body:
            self.out.write(as_text(json.loads(response.body)) + "\n")
        await self.herald.background.drain()

    async def repl(self, read_line: Callable[[str], str] = input) -> None:
        self.out.write(GREETING + "\n")
        while True:
            try:
                line = await asyncio.to_thread(read_line, PROMPT)
            except EOFError:
                self.out.write("\n")
                return
            if line.strip() in ("exit", "quit"):
                return
            await self.run_line(line)


async def _console_authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=None, team_id=CONSOLE_TEAM, bot_user_id="U0HERALD",
                           bot_id="B0HERALD", bot_token="xoxb-console")
