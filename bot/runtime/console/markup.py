"""Slack's mrkdwn as terminal text: *bold*, _italic_, ~strike~, `code`, ```blocks```, links, mentions, emoji."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.emoji import Emoji
from rich.style import Style
from rich.text import Text

from bot.core.render import slack_unescape

# Slack's names for emoji that rich knows by another name.
SLACK_EMOJI = {":large_yellow_circle:": ":yellow_circle:", ":large_green_circle:": ":green_circle:"}
CODE = Style(color="cyan")
LINK = Style(color="blue", underline=True)
MENTION = Style(color="magenta", bold=True)

# Slack's rules, roughly: a marker opens after a space or punctuation and closes before one.
TOKEN = re.compile(
    r"```\n?(?P<pre>.+?)```"
    r"|`(?P<code>[^`\n]+)`"
    r"|<(?P<link>[^<>\n]+)>"
    r"|(?<![\w*])\*(?P<bold>[^*\n]*[^*\s])\*(?!\w)"
    r"|(?<![\w_])_(?P<italic>[^_\n]*[^_\s])_(?!\w)"
    r"|(?<![\w~])~(?P<strike>[^~\n]*[^~\s])~(?!\w)",
    re.DOTALL,
)
STYLES = {"bold": Style(bold=True), "italic": Style(italic=True), "strike": Style(strike=True)}


class Mrkdwn:
    """Turns mrkdwn into rich Text. `name_of` names Slack IDs; without `hyperlinks` a link reads "text (url)"."""

    def __init__(self, name_of: Callable[[str], str], *, hyperlinks: bool) -> None:
        self.name_of = name_of
        self.hyperlinks = hyperlinks

    def __call__(self, mrkdwn: str, style: Style | str = "") -> Text:
        text = Text(style=style)
        self._append(text, mrkdwn, Style())
        return text

    def plain(self, plain_text: str, style: Style | str = "") -> Text:
        """A plain_text object: only emoji codes change."""
        return Text(_emoji(plain_text), style=style)

    def _append(self, text: Text, mrkdwn: str, style: Style) -> None:
        position = 0
        for token in TOKEN.finditer(mrkdwn):
            text.append(_words(mrkdwn[position:token.start()]), style)
            kind = token.lastgroup
            inner = token.group(kind)
            if kind in STYLES:
                self._append(text, inner, style + STYLES[kind])
            elif kind == "link":
                self._link(text, inner, style)
            else:  # code and pre: shown as typed
                text.append(slack_unescape(inner.rstrip("\n")), style + CODE)
            position = token.end()
        text.append(_words(mrkdwn[position:]), style)

    def _link(self, text: Text, inside: str, style: Style) -> None:
        target, _, label = inside.partition("|")
        if target[:1] in "@#":  # <@U123>, <#C123|launches>
            sign = target[0]
            text.append(sign + self.name_of(target[1:]).lstrip("#@"), style + MENTION)
        elif target.startswith("!"):  # <!here>, <!date^…|fallback>
            text.append(slack_unescape(label) if label else "@" + target[1:].split("^")[0], style + MENTION)
        elif not label or label == target:
            text.append(slack_unescape(target), style + LINK + Style(link=target if self.hyperlinks else None))
        elif self.hyperlinks:
            self._append(text, label, style + LINK + Style(link=slack_unescape(target)))
        else:
            self._append(text, label, style)
            text.append(f" ({slack_unescape(target)})", style + LINK)


def _words(mrkdwn: str) -> str:
    return _emoji(slack_unescape(mrkdwn))


def _emoji(text: str) -> str:
    for slack_name, rich_name in SLACK_EMOJI.items():
        text = text.replace(slack_name, rich_name)
    return Emoji.replace(text)
