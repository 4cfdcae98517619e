"""A fake Slack Web API: a real aiohttp server that slack_sdk's AsyncWebClient talks to over HTTP.

Tests point `AsyncWebClient(base_url=fake.base_url)` at it, so Herald's real HTTP, encoding and retry
code paths run unchanged; nothing of Herald is mocked. Answers mimic Slack's shapes and error codes.
"""

import asyncio
import json
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.support.fake_socket_mode import SocketModePeer

# Fields Slack accepts as JSON-encoded strings in form bodies; decoded so tests can assert on structures.
_JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "user_auth_blocks", "files")
_BOT_ID = "BHERALD"


@dataclass
class SlackCall:
    """One API request as the fake received it."""

    method: str  # e.g. "chat.postMessage"
    args: dict[str, Any]  # query args + form fields / JSON body, JSON-string fields decoded
    token: str | None  # bearer token received (or the legacy `token` argument)


class SlackError(Exception):
    """Raised by a handler to answer 200 {"ok": false, "error": ...}, as Slack does."""


def _truthy(value: Any) -> bool:
    """slack_sdk sends booleans as true in JSON but as "1"/"0" in query strings and forms."""
    return value is True or str(value).lower() in ("1", "true")


def _public(msg: dict[str, Any], *, metadata: bool = True) -> dict[str, Any]:
    """A stored message as Slack would return it: absent fields omitted."""
    return {k: v for k, v in msg.items() if v is not None and (metadata or k != "metadata")}


class FakeSlack:
    """In-memory Slack workspace served over HTTP on 127.0.0.1 with an ephemeral port."""

    def __init__(
        self, *, bot_token: str = "xoxb-test-token", app_token: str = "xapp-test-token", team_id: str = "T0HERALD",
        bot_user_id: str = "UHERALDBOT",
    ) -> None:
        self.bot_token, self.app_token, self.team_id, self.bot_user_id = bot_token, app_token, team_id, bot_user_id
        self.socket_mode = SocketModePeer()
        self.calls: list[SlackCall] = []
        # The chat:write.public scope: post in public channels without being a member.
        self.chat_write_public = True
        self.rate_limited_calls: list[SlackCall] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group ID -> member user IDs
        self.response_url_posts: list[dict[str, Any]] = []
        # Files completed by files.completeUploadExternal: {id, channel (None: not shared), title, filename, content}.
        self.files: list[dict[str, Any]] = []
        self.uploads: dict[str, dict[str, Any]] = {}  # file ID -> {filename, length, content (None until sent)}
        self._response_posts_by_name: list[tuple[str, dict[str, Any]]] = []
        self._rate_limits: dict[str, deque[int]] = {}
        self._faults: dict[str, deque[str]] = {}  # per method, in the order the calls meet them
        self._latency: dict[str, tuple[float, bool]] = {}
        self.received: list[SlackCall] = []  # every call as it arrives, before any fault or latency
        self._failures: dict[str, deque[str]] = {}
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.add_user(bot_user_id, "herald", tz="UTC")
        self.users[bot_user_id].update(is_bot=True, profile={"real_name": "herald", "bot_id": _BOT_ID})

    async def start(self) -> None:
        """Bind a real socket on port 0 so parallel tests never collide."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name:.*}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self.socket_mode.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self.socket_mode.serve_at(self.base_url.removesuffix("api/"))

    async def stop(self) -> None:
        await self.socket_mode.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """API root with the trailing slash slack_sdk expects."""
        if self._port is None:
            raise RuntimeError("FakeSlack.start() has not been awaited")
        return f"http://127.0.0.1:{self._port}/api/"

    def response_url(self, name: str) -> str:
        """A full URL to put in slash-command / interaction payloads as `response_url`."""
        return f"{self.base_url.removesuffix('api/')}response/{name}"

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def response_url_posts_to(self, name: str) -> list[dict[str, Any]]:
        return [body for n, body in self._response_posts_by_name if n == name]

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, is_archived: bool = False, is_member: bool = True
    ) -> None:
        self.channels[channel_id] = {
            "id": channel_id, "name": name, "name_normalized": name, "is_channel": not is_private,
            "is_group": is_private, "is_im": False, "is_private": is_private, "is_archived": is_archived,
            "is_member": is_member, "created": 1700000000,
        }  # fmt: skip
        self.messages.setdefault(channel_id, [])

    def add_user(
        self, user_id: str, name: str, *, deleted: bool = False, email: str | None = None, tz: str = "Europe/Berlin"
    ) -> None:
        profile: dict[str, Any] = {"real_name": name, "display_name": name}
        if email is not None:
            profile["email"] = email
        offset = ZoneInfo(tz).utcoffset(datetime.now())
        self.users[user_id] = {
            "id": user_id, "team_id": self.team_id, "name": name, "real_name": name, "deleted": deleted,
            "is_bot": False, "tz": tz, "tz_offset": int(offset.total_seconds()) if offset else 0, "profile": profile,
        }  # fmt: skip

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 0) -> None:
        """Next `times` calls get HTTP 429 + Retry-After; they land in `rate_limited_calls`, not `calls`."""
        self._rate_limits.setdefault(method, deque()).extend([retry_after] * times)

    def lose_answers(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls to method take effect, but the connection drops before the answer."""
        self._faults.setdefault(method, deque()).extend(["lose"] * times)

    def drop_calls(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls to method never reach Slack: the connection drops before anything is done."""
        self._faults.setdefault(method, deque()).extend(["drop"] * times)

    def server_error(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls take effect, then are answered HTTP 500: Slack's side failed late."""
        self._faults.setdefault(method, deque()).extend(["5xx"] * times)

    def slow(self, method: str, seconds: float, *, even_if_abandoned: bool = True) -> None:
        """Every call to method waits `seconds` before Slack carries it out; 0 makes it fast again.

        Like a real server, the fake carries a call out even when the caller stopped waiting or died,
        unless `even_if_abandoned` is False: then a call whose connection is gone by then does nothing.
        """
        self._latency[method] = (seconds, even_if_abandoned)

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Next `times` (authenticated) calls answer 200 {"ok": false, "error": error}."""
        self._failures.setdefault(method, deque()).extend([error] * times)

    async def _parse_args(self, request: web.Request) -> dict[str, Any]:
        """slack_sdk sends query params (GET and many POSTs), JSON bodies, or forms; merge them all."""
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                args.update(body if isinstance(body, dict) else {})
            else:
                for key, value in (await request.post()).items():
                    args[key] = value if isinstance(value, str) else value.file.read()  # type: ignore[union-attr]
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str):
                with suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._parse_args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else args.pop("token", None)
        call = SlackCall(method, args, token)
        if queue := self._rate_limits.get(method):
            self.rate_limited_calls.append(call)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(queue.popleft())}
            )
        self.received.append(call)
        fault = queue.popleft() if (queue := self._faults.get(method)) else None
        if fault == "drop":
            request.transport.close()
            return web.Response(status=499)  # never sent: the connection is gone
        delay, even_if_abandoned = self._latency.get(method, (0.0, True))
        if delay:
            # Shielded: a caller that gives up does not stop Slack from carrying the call out.
            return await asyncio.shield(self._answer_later(request, call, fault, delay, even_if_abandoned))
        return self._answer(request, call, fault)

    async def _answer_later(self, request: web.Request, call: SlackCall, fault: str | None, delay: float,
                            even_if_abandoned: bool) -> web.Response:
        await asyncio.sleep(delay)
        if not even_if_abandoned and (request.transport is None or request.transport.is_closing()):
            return web.Response(status=499)
        return self._answer(request, call, fault)

    def _answer(self, request: web.Request, call: SlackCall, fault: str | None) -> web.Response:
        method, token = call.method, call.token
        self.calls.append(call)
        try:
            if not token:
                raise SlackError("not_authed")
            # apps.connections.open takes the app-level token, and only it; every other method the bot token.
            expected, other = (self.app_token, self.bot_token) if method == "apps.connections.open" else (
                self.bot_token, self.app_token)
            if token != expected:
                raise SlackError("not_allowed_token_type" if token == other else "invalid_auth")
            if queue := self._failures.get(method):
                raise SlackError(queue.popleft())
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)  # e.g. _m_chat_postMessage
            response = web.json_response({"ok": True, **(handler(call.args) if handler else {})})
            if fault == "5xx":
                return web.json_response({"ok": False, "error": "internal_error"}, status=500)
            if fault == "lose" and request.transport is not None:
                request.transport.close()  # done, but the caller never hears back: a crash mid-call
            return response
        except SlackError as e:
            return web.json_response({"ok": False, "error": str(e)})

    async def _response_url(self, request: web.Request) -> web.Response:
        """response_url answers a bare text "ok", not a JSON envelope."""
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = json.loads(str((await request.post()).get("payload", "{}")))
        self.response_url_posts.append(body)
        self._response_posts_by_name.append((request.match_info["name"], body))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out: raw bytes in, Slack's plain-text "OK - <size>" out.

        `fail("upload", …)` refuses the next upload with HTTP 500, as Slack's file host answers one it cannot take.
        """
        content = await request.read()
        if queue := self._failures.get("upload"):
            return web.Response(status=500, text=queue.popleft())
        if (pending := self.uploads.get(request.match_info["file_id"])) is None:
            return web.Response(status=404, text="upload_url_expired")
        pending["content"] = content
        return web.Response(text=f"OK - {len(content)}")

    def _next_ts(self) -> str:
        """Unique, strictly increasing message timestamps, like '1700000000.000100'."""
        self._seq += 1
        micros = self._seq * 100
        return f"{1700000000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel(self, value: Any, *, open_im: bool = False) -> dict[str, Any]:
        """Resolve an ID or #name; user IDs / D-IDs become an IM when posting, as Slack does."""
        ref = str(value or "").removeprefix("#")
        if ref in self.channels:
            return self.channels[ref]
        if open_im and ref[:1] in ("U", "W", "D") and len(ref) > 1:
            im_id, user_id = ("D" + ref[1:], ref) if ref[0] != "D" else (ref, "U" + ref[1:])
            if im_id not in self.channels:
                self.channels[im_id] = {"id": im_id, "is_im": True, "user": user_id, "is_private": True,
                                        "is_archived": False, "is_member": True, "created": 1700000000}  # fmt: skip
                self.messages.setdefault(im_id, [])
            return self.channels[im_id]
        for channel in self.channels.values():
            if channel.get("name") == ref:
                return channel
        raise SlackError("channel_not_found")

    def _writable(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"), open_im=True)
        if channel["is_archived"]:
            raise SlackError("is_archived")
        if not channel["is_member"] and (channel["is_private"] or not self.chat_write_public):
            raise SlackError("not_in_channel")
        return channel

    def _message(self, channel_id: str, ts: Any, error: str = "message_not_found") -> dict[str, Any]:
        for msg in self.messages.get(channel_id, []):
            if msg["ts"] == ts:
                return msg
        raise SlackError(error)

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://herald-test.slack.com/", "team": "Herald Test", "user": "herald",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": _BOT_ID}  # fmt: skip

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.socket_mode.open_url()

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(args)
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        msg = {"type": "message", "user": self.bot_user_id, "bot_id": _BOT_ID, "team": self.team_id,
               "ts": self._next_ts(), "text": args.get("text", ""), "blocks": args.get("blocks"),
               "attachments": args.get("attachments"), "metadata": args.get("metadata"),
               "thread_ts": args.get("thread_ts"),
               "subtype": "thread_broadcast" if _truthy(args.get("reply_broadcast")) else None}  # fmt: skip
        self.messages[channel["id"]].append(msg)
        return {"channel": channel["id"], "ts": msg["ts"], "message": _public(msg)}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._writable(args)
        if not args.get("user"):
            raise SlackError("user_not_found")
        return {"message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        msg = self._message(channel["id"], args.get("ts"))
        msg.update({k: args[k] for k in ("text", "blocks", "attachments", "metadata") if k in args})
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel["id"], "ts": msg["ts"], "text": msg["text"], "message": _public(msg)}

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        self.messages[channel["id"]].remove(self._message(channel["id"], args.get("ts")))
        return {"channel": channel["id"], "ts": args["ts"]}

    def _m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel["is_private"]:
            raise SlackError("method_not_supported_for_channel_type")
        if channel["is_archived"]:
            raise SlackError("is_archived")
        extra = {"warning": "already_in_channel"} if channel["is_member"] else {}
        channel["is_member"] = True
        return {"channel": dict(channel), **extra}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """A DM with one person (`users`), as Slack opens it: the D-channel a post to their user ID lands in."""
        users = str(args.get("users") or "")
        if users not in self.users or "," in users:
            raise SlackError("user_not_found")
        return {"channel": {"id": self._channel(users, open_im=True)["id"]}}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": dict(self._channel(args.get("channel")))}

    def _readable(self, args: dict[str, Any]) -> tuple[str, bool]:
        channel = self._channel(args.get("channel"))
        if not channel["is_member"]:
            raise SlackError("not_in_channel")
        return channel["id"], _truthy(args.get("include_all_metadata"))

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first; thread replies are excluded unless broadcast, like real Slack."""
        channel_id, with_meta = self._readable(args)
        inclusive, limit = _truthy(args.get("inclusive")), int(args.get("limit") or 100)
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        found = [m for m in reversed(self.messages[channel_id])
                 if m["thread_ts"] in (None, m["ts"]) or m["subtype"] == "thread_broadcast"]  # fmt: skip
        found = [m for m in found if oldest < float(m["ts"]) < latest
                 or (inclusive and float(m["ts"]) in (oldest, latest))]  # fmt: skip
        return {"messages": [_public(m, metadata=with_meta) for m in found[:limit]], "has_more": len(found) > limit,
                "pin_count": 0, "response_metadata": {"next_cursor": ""}}  # fmt: skip

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id, with_meta = self._readable(args)
        parent = self._message(channel_id, args.get("ts"), "thread_not_found")
        thread = [m for m in self.messages[channel_id] if m is parent or m["thread_ts"] == parent["ts"]]
        return {"messages": [_public(m, metadata=with_meta) for m in thread], "has_more": False,
                "response_metadata": {"next_cursor": ""}}  # fmt: skip

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if (user := self.users.get(str(args.get("user")))) is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": user}
        raise SlackError("users_not_found")

    def _m_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"members": list(self.users.values()), "cache_ts": 1700000000,
                "response_metadata": {"next_cursor": ""}}  # fmt: skip

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        if (members := self.usergroups.get(str(args.get("usergroup")))) is None:
            raise SlackError("no_such_subteam")
        return {"users": list(members)}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open/update/publish: store the view and echo it back with an id, as Slack does."""
        if not isinstance(view := args.get("view"), dict):
            raise SlackError("invalid_arguments")
        self._seq += 1
        external_id = args.get("external_id")
        known = next((i for i, v in self.views.items() if external_id and v.get("external_id") == external_id), None)
        view_id = args.get("view_id") or known or f"V{self._seq:010d}"
        saved = {"private_metadata": "", "callback_id": "", "external_id": "", "state": {"values": {}},
                 "hash": f"{self._seq}.hash", "root_view_id": view_id, "previous_view_id": None,
                 **view, "id": view_id, "team_id": self.team_id, "bot_id": _BOT_ID}  # fmt: skip
        self.views[view_id] = saved
        return {"view": saved}

    _m_views_update = _m_views_publish = _m_views_open

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        self._seq += 1
        file_id = f"F{self._seq:010d}"
        self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "content": None}
        return {"upload_url": f"{self.base_url.removesuffix('api/')}upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shares the uploaded files in `channel_id` (a member's channel or a DM), as one message, like Slack."""
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        for item in files:
            if self.uploads.get(item.get("id"), {}).get("content") is None:
                raise SlackError("file_not_found")
        channel_id = None
        if args.get("channel_id"):
            channel = self._channel(args["channel_id"])
            if channel["is_archived"]:
                raise SlackError("is_archived")
            if not channel["is_member"]:
                raise SlackError("not_in_channel")
            channel_id = channel["id"]
        shared = [{"id": item["id"], "channel": channel_id, "title": item.get("title"),
                   "filename": self.uploads[item["id"]]["filename"], "content": self.uploads[item["id"]]["content"]}
                  for item in files]  # fmt: skip
        self.files.extend(shared)
        public = [{"id": f["id"], "name": f["filename"], "title": f["title"],
                   "channels": [channel_id] if channel_id else []} for f in shared]  # fmt: skip
        if channel_id is not None:
            self.messages[channel_id].append(
                {"type": "message", "user": self.bot_user_id, "bot_id": _BOT_ID, "team": self.team_id,
                 "ts": self._next_ts(), "text": args.get("initial_comment") or "", "blocks": None, "attachments": None,
                 "metadata": None, "thread_ts": args.get("thread_ts"), "subtype": None, "files": public})  # fmt: skip
        return {"files": public}

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        msg = self._message(channel["id"], args.get("timestamp"))
        reactions: list[dict[str, Any]] = msg.setdefault("reactions", [])
        if any(r["name"] == args.get("name") for r in reactions):  # only the bot reacts through this API
            raise SlackError("already_reacted")
        reactions.append({"name": args.get("name"), "users": [self.bot_user_id], "count": 1})
        return {}
