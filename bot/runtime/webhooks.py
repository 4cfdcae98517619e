"""Releases from outside Slack: GitHub `release` webhooks and a plain JSON endpoint for any CI."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import unicodedata
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.core.errors import HeraldError
from bot.core.herald import Herald
from bot.releases import service as releases
from bot.releases.recording import ReleaseInput
from bot.releases.service import Outcome

ANSWERS = {
    Outcome.RECORDED: (201, "recorded"),
    Outcome.UPDATED: (200, "recorded"),
    Outcome.WITHDRAWN: (200, "withdrawn"),
    Outcome.UNKNOWN: (404, "no such release"),
    Outcome.NOTHING_TO_EDIT: (202, "nothing to edit: that release was never announced"),
    Outcome.IGNORED: (202, "ignored action {action}"),
}
MAX_ID = 150  # the stored key is "id:<source>:<external id>", at most 240 characters
RELEASE_FIELDS = {"component", "version", "title", "notes", "link", "tags", "prerelease", "announce_at", "id", "action"}


def add_routes(web_app: web.Application, herald: Herald) -> None:
    async def github(request: web.Request) -> web.Response:
        return await github_release(request, herald)

    async def ci(request: web.Request) -> web.Response:
        return await ci_release(request, herald)

    web_app.router.add_post("/webhooks/github", github)
    web_app.router.add_post("/webhooks/release", ci)


async def github_release(request: web.Request, herald: Herald) -> web.Response:
    secret = herald.settings.github_webhook_secret
    if not secret:
        return _answer(404, "GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET")
    body = await request.read()
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not _same(expected, request.headers.get("X-Hub-Signature-256", "")):
        return _answer(401, "bad signature")
    event = request.headers.get("X-GitHub-Event", "")
    if event == "ping":
        return _answer(200, "pong")
    payload = _json(body)
    if event != "release" or not isinstance(payload, dict) or not isinstance(payload.get("release"), dict):
        return _answer(202, f"ignored {event or 'unknown'} event")
    if payload["release"].get("draft"):
        return _answer(202, "ignored a draft release")  # drafts are private until published
    try:
        data = _from_github(payload)
    except BadField as error:
        return _answer(400, str(error))
    return await _apply(herald, str(payload.get("action") or ""), data)


async def ci_release(request: web.Request, herald: Herald) -> web.Response:
    token = herald.settings.webhook_token
    if not token:
        return _answer(404, "the release webhook is off: set HERALD_WEBHOOK_TOKEN")
    if not _same(f"Bearer {token}", request.headers.get("Authorization", "")):
        return _answer(401, "missing or wrong bearer token")
    payload = _json(await request.read())
    if not isinstance(payload, dict):
        return _answer(400, "expected a JSON object")
    unknown = sorted(set(payload) - RELEASE_FIELDS)
    if unknown:
        return _answer(400, f"unknown fields: {', '.join(unknown)}")
    try:
        data = _from_ci(payload)
        action = _text(payload, "action") or "publish"
    except BadField as error:
        return _answer(400, str(error))
    return await _apply(herald, action, data)


async def _apply(herald: Herald, action: str, data: ReleaseInput) -> web.Response:
    try:
        # Off the loop: publishing fans out to every subscribed channel (500: 0.1-0.25 s) while Slack waits
        # for acks from the same process.
        applied = await asyncio.to_thread(releases.apply_webhook, herald, action, data)
    except HeraldError as error:
        return _answer(400, str(error))
    status, message = ANSWERS[applied.outcome]
    return _answer(status, message.format(action=action), **({"release_id": applied.release_id}
                                                              if applied.release_id is not None else {}))


class BadField(ValueError):
    """A request field of the wrong type or shape: answered 400, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")


def _from_github(payload: dict[str, Any]) -> ReleaseInput:
    release = payload["release"]
    repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
    author = release.get("author") if isinstance(release.get("author"), dict) else {}
    return ReleaseInput(
        component=_text(repository, "name") or "",
        version=_text(release, "tag_name") or "",
        title=_text(release, "name"),
        notes=_text(release, "body", multiline=True) or "",
        link=_text(release, "html_url"),
        prerelease=_flag(release, "prerelease"),
        source="github",
        external_id=f"github:{_id(repository, 'id')}:{_id(release, 'id')}",
        created_by=_text(author, "login"),
    )


def _from_ci(payload: dict[str, Any]) -> ReleaseInput:
    stamp = _text(payload, "announce_at")
    try:
        announce_at = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        raise BadField("announce_at", f"“{stamp}” is not an ISO 8601 time, like 2026-12-01T09:00:00+01:00") from None
    if announce_at and announce_at.tzinfo is None:
        raise BadField("announce_at", "needs a time zone, like 2026-12-01T09:00:00+01:00")
    tags = payload.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BadField("tags", "must be a list of strings")
    for tag in tags:
        _check_text("tags", tag, multiline=False)
    external_id = _id(payload, "id")
    return ReleaseInput(
        component=_text(payload, "component") or "",
        version=_text(payload, "version") or "",
        title=_text(payload, "title"),
        notes=_text(payload, "notes", multiline=True) or "",
        link=_text(payload, "link"),
        tags=tags,
        prerelease=_flag(payload, "prerelease"),
        announce_at=announce_at,
        source="webhook",
        external_id=f"ci:{external_id}" if external_id else None,
    )


def _text(payload: dict[str, Any], field: str, *, multiline: bool = False) -> str | None:
    """A string field (or null); control characters are refused, NUL included, on every store alike."""
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadField(field, f"must be a string, not {type(value).__name__}")
    _check_text(field, value, multiline=multiline)
    return value


def _check_text(field: str, value: str, *, multiline: bool) -> None:
    allowed = "\n\r\t" if multiline else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise BadField(field, "contains control characters")
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise BadField(field, "contains a lone surrogate, which is not text")


def _flag(payload: dict[str, Any], field: str) -> bool:
    value = payload.get(field, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadField(field, f"must be true or false, not {json.dumps(value)}")
    return value


def _id(payload: dict[str, Any], field: str) -> str | None:
    """An id as CI or GitHub sends it: a string or a whole number, at most MAX_ID characters."""
    value = payload.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadField(field, "must be a string or a whole number")
    text = str(value)
    _check_text(field, text, multiline=False)
    if len(text) > MAX_ID:
        raise BadField(field, f"can be at most {MAX_ID} characters; this one has {len(text):,}")
    return text


def _same(expected: str, given: str) -> bool:
    """Credentials compared in constant time, whatever bytes the header holds."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than any release is
        return None


def _answer(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": status < 400, "message": message, **extra}, status=status)
