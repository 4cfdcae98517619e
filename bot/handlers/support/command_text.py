"""Reading what people type after a slash command, as Slack sends it (escaped, with <@U…> links)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.render import Message, slack_unescape
from bot.core.slack_ids import CHANNEL_MENTION, USER_MENTION

SHARE_FLAG = "--share"


def split_words(text: str) -> tuple[list[str], bool]:
    """Words of the command and whether `--share` was among them; quotes group words ("Q4 launch")."""
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    text = "".join(c if unicodedata.category(c) not in ("Cc", "Cs") else " " for c in text)  # NUL and the like
    words = [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', text) if quoted or bare]
    return [word for word in words if word != SHARE_FLAG], SHARE_FLAG in words


def text_of(words: list[str]) -> str:
    """Words as the person typed them: Slack's `&amp;`, `&lt;`, `&gt;` turned back."""
    return slack_unescape(" ".join(words))


def plain_id(word: str) -> str:
    """`<@U123|ann>` → `U123`, `<#C123|launches>` → `C123`; other words as the person typed them."""
    for pattern in (USER_MENTION, CHANNEL_MENTION):
        if found := pattern.fullmatch(word):
            return found.group(1)
    return slack_unescape(word)


@dataclass(frozen=True)
class Invocation:
    """One slash-command call as plain values."""

    subcommand: str
    words: list[str]
    user_id: str
    channel_id: str
    share: bool
    trigger_id: str = ""
    # Bolt's respond (the command's response_url), for an answer that replaces the ack's after it.
    respond: Callable[..., Awaitable[None]] | None = None


@dataclass(frozen=True)
class Reply:
    """What a subcommand answers in the ack (None: nothing, a modal opens) and the slow work after it."""

    message: Message | None
    after: Callable[[], Awaitable[None]] | None = None
