"""Releases from outside Slack: GitHub `release` webhooks and a plain JSON endpoint for any CI."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
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
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return _answer(401, "bad signature")
    event = request.headers.get("X-GitHub-Event", "")
    if event == "ping":
        return _answer(200, "pong")
    payload = _json(body)
    if event != "release" or payload is None:
        return _answer(202, f"ignored {event or 'unknown'} event")
    if (payload.get("release") or {}).get("draft"):
        return _answer(202, "ignored a draft release")  # drafts are private until published
    return await _apply(herald, payload.get("action", ""), _from_github(payload))


async def ci_release(request: web.Request, herald: Herald) -> web.Response:
    token = herald.settings.webhook_token
    if not token:
        return _answer(404, "the release webhook is off: set HERALD_WEBHOOK_TOKEN")
    if not hmac.compare_digest(f"Bearer {token}", request.headers.get("Authorization", "")):
        return _answer(401, "missing or wrong bearer token")
    payload = _json(await request.read())
    if not isinstance(payload, dict):
        return _answer(400, "expected a JSON object")
    unknown = sorted(set(payload) - RELEASE_FIELDS)
    if unknown:
        return _answer(400, f"unknown fields: {', '.join(unknown)}")
    try:
        data = _from_ci(payload)
    except (TypeError, ValueError) as error:
        return _answer(400, str(error))
    return await _apply(herald, payload.get("action", "publish"), data)


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


def _from_github(payload: dict[str, Any]) -> ReleaseInput:
    release, repository = payload.get("release") or {}, payload.get("repository") or {}
    return ReleaseInput(
        component=repository.get("name", ""),
        version=release.get("tag_name", ""),
        title=release.get("name") or None,
        notes=release.get("body") or "",
        link=release.get("html_url"),
        prerelease=bool(release.get("prerelease")),
        source="github",
        external_id=f"github:{repository.get('id')}:{release.get('id')}",
        created_by=(release.get("author") or {}).get("login"),
    )


def _from_ci(payload: dict[str, Any]) -> ReleaseInput:
    announce_at = datetime.fromisoformat(payload["announce_at"]) if payload.get("announce_at") else None
    if announce_at and announce_at.tzinfo is None:
        raise ValueError("announce_at needs a time zone, like 2026-12-01T09:00:00+01:00")
    tags = payload.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValueError("tags must be a list of strings")
    return ReleaseInput(
        component=str(payload.get("component") or ""),
        version=str(payload.get("version") or ""),
        title=payload.get("title"),
        notes=str(payload.get("notes") or ""),
        link=payload.get("link"),
        tags=tags,
        prerelease=bool(payload.get("prerelease", False)),
        announce_at=announce_at,
        source="webhook",
        external_id=f"ci:{payload['id']}" if payload.get("id") else None,
    )


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _answer(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": status < 400, "message": message, **extra}, status=status)
