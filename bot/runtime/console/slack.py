"""Slack, as the console plays it: what Herald would post is printed, and the modals it opens wait to be filled in."""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.runtime.console.screen import Screen, Surface
from bot.runtime.console.workspace import CONSOLE_CHANNEL, RESPONSE_URL, demo_user, name_of
from bot.runtime.demo import DEMO_USERS

MODAL_METHODS = ("views.open", "views.push")
OFFLINE = "console_does_not_reach_slack"


class ConsoleWebClient(AsyncWebClient):
    """Stands in for Slack's Web API. Modals opened are kept in `views` (by view ID) and queued in `to_fill`.

    Without `posts`, on a real store, posts to channels and people are refused: a printed post would pass for
    one Slack has (a launch would keep a thread that does not exist), while Herald can say one was not made.
    Files Herald uploads (the insights chart) are saved in `files_dir` instead, and their path printed.
    """

    def __init__(self, out: TextIO, *, tty: bool = False, posts: bool = True, files_dir: Path | None = None) -> None:
        super().__init__(token=None)
        self.screen = Screen(out, tty=tty)
        self.posts = posts
        self.files_dir = files_dir or Path(tempfile.gettempdir())
        self.views: dict[str, dict[str, Any]] = {}
        self.to_fill: list[str] = []
        self._view_ids = (f"V0CONSOLE{n}" for n in itertools.count(1))

    async def api_call(self, api_method: str, *, json: dict | None = None, data: dict | None = None,
                       params: dict | None = None, http_verb: str = "POST", **_: Any) -> AsyncSlackResponse:
        args = {**(params or {}), **(data or {}), **(json or {})}
        reply = {"ok": True, **self._answer(api_method, args)}
        response = AsyncSlackResponse(client=self, http_verb=http_verb, api_url=api_method, req_args=args,
                                      data=reply, headers={}, status_code=200)
        return response.validate()

    async def files_upload_v2(self, *, filename: str | None = None, content: str | bytes | None = None,
                              title: str | None = None, channel: str | None = None,
                              **_: Any) -> AsyncSlackResponse:
        """Slack's upload goes to a file host outside the Web API, so the whole flow is played here: saved, not sent."""
        data = content.encode() if isinstance(content, str) else content or b""
        path = self._save(filename or "file", data)
        self.screen.caption(f"chart saved to {path}")
        shared = {"id": f"F0CONSOLE{time.time_ns()}", "name": path.name, "title": title or path.name,
                  "channels": [channel] if channel else []}
        response = AsyncSlackResponse(client=self, http_verb="POST", api_url="files.completeUploadExternal",
                                      req_args={}, data={"ok": True, "files": [shared], "file": shared}, headers={},
                                      status_code=200)
        return response.validate()

    def _save(self, filename: str, data: bytes) -> Path:
        """`insights.png` becomes `insights-20250301-093000.png`, numbered if two land in the same second."""
        stem, suffix = Path(filename).stem, Path(filename).suffix
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path, number = self.files_dir / f"{stem}-{stamp}{suffix}", 1
        while path.exists():
            number += 1
            path = self.files_dir / f"{stem}-{stamp}-{number}{suffix}"
        path.write_bytes(data)
        return path

    def _answer(self, api_method: str, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        if api_method == "users.info":  # the demo people, as Slack would describe them
            return {"user": demo_user(args.get("user", ""))}
        if api_method == "users.list":
            return {"members": [demo_user(user_id) for user_id in DEMO_USERS]}
        if api_method == "users.lookupByEmail":
            return {"ok": False, "error": "users_not_found"}
        if api_method == "conversations.open":
            return {"channel": {"id": "D" + args.get("users", "").removeprefix("U")}}
        if api_method == "conversations.history":
            return {"messages": [], "has_more": False}
        if api_method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            return self._post(api_method, args)
        if api_method in MODAL_METHODS:
            return {"view": self.open_modal(args["view"])}
        if api_method == "views.update":
            return {"view": self._update(args)}
        if api_method == "views.publish":
            self.screen.caption(f"your App Home, {name_of(args.get('user_id', ''))}")
            self.screen.show(args["view"], Surface(view=args["view"]))
        return {"channel": channel}

    def _post(self, api_method: str, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        ts = args.get("ts") or f"{time.time():.6f}"
        where = name_of(channel)
        if not self.posts and api_method != "chat.postEphemeral" and channel != CONSOLE_CHANNEL:
            self.screen.caption(f"not posted to {where}: the console does not reach Slack")
            return {"ok": False, "error": OFFLINE}
        if api_method == "chat.postEphemeral":
            self.screen.caption("only you can see this" + ("" if channel == CONSOLE_CHANNEL else f", in {where}"))
        elif api_method == "chat.update":
            self.screen.caption(f"updated in {where}")
        else:
            self.screen.caption(f"posted to {where}" + (" (in thread)" if args.get("thread_ts") else ""))
        self.screen.show(args, Surface(channel_id=channel, message=args, ts=ts))
        return {"channel": channel, "ts": ts, "message_ts": ts}

    def open_modal(self, view: dict[str, Any]) -> dict[str, Any]:
        view_id = next(self._view_ids)
        self.views[view_id] = {**view, "id": view_id, "hash": f"{time.time_ns()}", "state": {"values": {}}}
        self.to_fill.append(view_id)
        return self.views[view_id]

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or next((v for v, view in self.views.items()
                                              if view.get("external_id") == args.get("external_id")), "")
        if view_id not in self.views:
            return self.open_modal(args["view"])
        self.views[view_id] = {**args["view"], "id": view_id, "hash": f"{time.time_ns()}",
                               "state": self.views[view_id]["state"]}
        return self.views[view_id]


class ConsoleRespond(AsyncRespond):
    """`respond()` for the console: what Slack would do with a POST to the response_url, printed."""

    def __init__(self, screen: Screen, *, channel_id: str = CONSOLE_CHANNEL) -> None:
        super().__init__(response_url=RESPONSE_URL)
        self.screen = screen
        self.channel_id = channel_id

    async def __call__(self, text: str | dict = "", blocks: list | None = None, *, response_type: str | None = None,
                       replace_original: bool | None = None, delete_original: bool | None = None,
                       **_: Any) -> WebhookResponse:
        message = text if isinstance(text, dict) else {"text": text, "blocks": blocks}
        response_type = message.get("response_type", response_type)
        if delete_original:
            self.screen.caption("the message above is deleted")
        else:
            replaces = " (replacing the message above)" if message.get("replace_original", replace_original) else ""
            self.screen.caption(reply_caption(response_type) + replaces)
            self.screen.show(message, Surface(channel_id=self.channel_id, message=message))
        return WebhookResponse(url=RESPONSE_URL, status_code=200, body="ok", headers={})


def reply_caption(response_type: str | None) -> str:
    """Whom a reply is for: everyone in the channel (`--share`) or only the person who asked."""
    return f"shared in {name_of(CONSOLE_CHANNEL)}" if response_type == "in_channel" else "only you can see this"
