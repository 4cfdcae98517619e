"""Messages from Jinja2 templates to Block Kit, checked against Slack's limits before sending.

Every `{{ … }}` in a template is escaped for Slack (`&`, `<`, `>`) and for JSON at once, so a
template cannot forget it; only the links Herald makes itself (mentions, channels) pass as markup.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from slack_sdk.models.blocks import Block

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.core.slack_ids import is_channel_id, is_user_id
from bot.core.templates import TemplateLoader

Message = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELD = 2000
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
FALLBACK_TEXT = 3000


class TemplateError(Exception):
    """A template produced something Slack would reject: a bug in the template, not in user input."""


def slack_escape(text: str) -> str:
    """Slack's own rule: only these three characters are control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_unescape(text: str) -> str:
    """Slack sends typed text escaped; stored text is what the user typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Renderer:
    def __init__(self, override: Path | None = None, *, zone: ZoneInfo) -> None:
        self.zone = zone
        self.env = SandboxedEnvironment(
            loader=TemplateLoader(override),
            undefined=StrictUndefined,
            # Autoescape makes macro output Markup, so `_finalize` escapes each value exactly once.
            autoescape=True,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            mention=mention,
            actor=actor,
            channel=channel_link,
            link=link,
            day=format_day,
            when=self.format_when,
            when_in=format_when_in,
            plural=plural,
            number=lambda n: f"{n:,}",
            as_typed=as_typed,
            blocks=embedded_blocks,
        )
        self.env.globals.update(ActionId=ActionId, BlockId=BlockId, ViewId=ViewId)

    def message(self, template: str, *, max_blocks: int = MESSAGE_BLOCKS, **context: Any) -> Message:
        """Render `template` to a message dict with `text` and `blocks`, fitted and validated."""
        return fit(self._json(template, context), template=template, max_blocks=max_blocks)

    def view(self, template: str, **context: Any) -> dict[str, Any]:
        """Render a modal or Home tab view: up to 100 blocks, no fallback text."""
        return fit(self._json(template, context), template=template, max_blocks=VIEW_BLOCKS, needs_text=False)

    def _json(self, template: str, context: dict[str, Any]) -> dict[str, Any]:
        source = self.env.get_template(template).render(**context)
        try:
            return json.loads(source)
        except json.JSONDecodeError as error:
            raise TemplateError(f"{template} did not render valid JSON: {error}") from error

    def format_when(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%a %d %b %Y %H:%M")


def fit(message: Message, *, template: str, max_blocks: int, needs_text: bool = True) -> Message:
    """Keep a message inside Slack's limits, visibly: truncated text says so, hidden blocks are counted."""
    blocks = [_fit_block(block) for block in message.get("blocks", [])]
    if len(blocks) > max_blocks:
        hidden = len(blocks) - (max_blocks - 1)
        blocks = blocks[: max_blocks - 1] + [_context(f"…and {hidden} more not shown.")]
    for block in blocks:
        _validate(block, template)
    if not needs_text:
        return {**message, "blocks": blocks}
    text = message.get("text") or ""
    if not text.strip():
        raise TemplateError(f"{template} has no plain-text `text` fallback.")
    return {**message, "text": _truncate(text, FALLBACK_TEXT), "blocks": blocks}


def _fit_block(block: dict[str, Any]) -> dict[str, Any]:
    kind = block.get("type")
    if kind == "section":
        if "text" in block:
            block["text"]["text"] = _truncate(block["text"]["text"], SECTION_TEXT)
        for text_field in block.get("fields", []):
            text_field["text"] = _truncate(text_field["text"], SECTION_FIELD)
    elif kind == "header":
        block["text"]["text"] = _truncate(block["text"]["text"], HEADER_TEXT)
    elif kind == "context":
        for element in block.get("elements", []):
            if "text" in element:
                element["text"] = _truncate(element["text"], CONTEXT_TEXT)
    return block


def _truncate(text: str, limit: int) -> str:
    """Cut at a word boundary, never inside an escape like `&amp;` or a `<@U…>` link."""
    if len(text) <= limit:
        return text
    marker = "… (truncated)"
    cut = text[: limit - len(marker)]
    cut = re.sub(r"(&\w*|<[^>]*)$", "", cut)
    if " " in cut[-40:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + marker


def _validate(block: dict[str, Any], template: str) -> None:
    parsed = Block.parse(block)
    if parsed is None:
        raise TemplateError(f"{template} rendered an unknown block: {block.get('type')!r}")
    try:
        parsed.to_dict()  # validates the block and, unlike validate_json(), every element inside it
    except Exception as error:  # slack_sdk raises SlackObjectFormationError and friends
        raise TemplateError(f"{template} rendered an invalid {block.get('type')} block: {error}") from error


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _finalize(value: Any) -> Markup:
    """Every interpolation becomes JSON-string-safe and Slack-safe; Markup is already both."""
    if isinstance(value, Markup):
        return value
    return as_typed(None if value is None else slack_escape(str(value)))


def as_typed(value: Any) -> Markup:
    """Text Slack shows as it is (an input's value, private_metadata): escaped for JSON only."""
    return Markup(json.dumps("" if value is None else str(value), ensure_ascii=False)[1:-1])


def embedded_blocks(blocks: list[dict[str, Any]]) -> Markup:
    """Blocks rendered elsewhere, placed inside this message's `blocks` list as they are."""
    return Markup(",".join(json.dumps(block, ensure_ascii=False) for block in blocks))


def actor(who: str | None) -> Markup | str:
    """Who did something: a Slack user as a mention, else as named (a GitHub login, `cli`, `webhook`)."""
    return mention(who) if is_user_id(who) else (who or "someone")


def mention(user_id: str | None) -> Markup | str:
    if is_user_id(user_id):
        return Markup(f"<@{user_id}>")
    return "nobody"


def channel_link(channel: str | None) -> Markup | str:
    """A channel ID becomes a link; a name as an owners file wrote it (`#payments`) stays text."""
    if is_channel_id(channel):
        return Markup(f"<#{channel}>")
    return channel or "no channel"


def link(url: str | None, label: str) -> Markup | str:
    """A link only for plain http(s) URLs; anything else is shown as text, never as a link."""
    if url and re.fullmatch(r"https?://[^\s<>|]+", url):
        return Markup(f"<{url.replace('&', '&amp;')}|{_finalize(label)}>")
    return url or "none"


def format_when_in(moment: datetime, zone: str) -> str:
    """A time in the zone a schedule was given in, so "09:00 Europe/Berlin" reads as 09:00."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y %H:%M ") + zone


def format_day(day: date | None) -> str:
    return day.strftime("%a %d %b %Y") if day else "not set"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
