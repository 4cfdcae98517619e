"""Slack's mrkdwn as terminal text: *bold*, _italic_, ~strike~, `code`, ```blocks```, links, mentions, emoji.

Everything becomes rich `Text` (never rich markup), so nothing a person typed can style the terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from rich.emoji import Emoji
from rich.style import Style
from rich.text import Text

from bot.core.render import slack_unescape

# Slack's names for emoji that rich knows by another name.
SLACK_EMOJI = {":large_yellow_circle:": ":yellow_circle:", ":large_green_circle:": ":green_circle:"}
CODE = Style(color="cyan")
LINK = Style(color="blue", underline=True)
MENTION = Style(color="magenta", bold=True)

# Shown as they are, never parsed further: code blocks, code, and <links>.
ATOM = re.compile(r"```\n?(?P<pre>.+?)```|`(?P<code>[^`\n]+)`|<(?P<link>[^<>\n]+)>", re.DOTALL)
MARKERS = {"*": Style(bold=True), "_": Style(italic=True), "~": Style(strike=True)}
KEEP = "\n\t"


def printable(text: str) -> str:
    """`text` without control characters (ESC, BEL, C1 codes…), which would drive the terminal; newline and tab
    stay."""
    return "".join(c for c in text if c in KEEP or unicodedata.category(c) != "Cc")


def plain_words(plain_text: str) -> str:
    """A plain_text object as Slack shows it: `&lt;` as `<`, emoji codes as emoji, no control characters."""
    return _emoji(slack_unescape(printable(plain_text)))


@dataclass(frozen=True)
class _Span:
    """A piece of the line: text (markers taken out) or an atom, with the styles of the markers around it."""

    start: int
    end: int
    style: Style
    atom: re.Match[str] | None = None


class Mrkdwn:
    """Turns mrkdwn into rich Text. `name_of` names Slack IDs; without `hyperlinks` a link reads "text (url)"."""

    def __init__(self, name_of: Callable[[str], str], *, hyperlinks: bool) -> None:
        self.name_of = name_of
        self.hyperlinks = hyperlinks

    def __call__(self, mrkdwn: str, style: Style | str = "") -> Text:
        text = Text(style=style)
        self._append(text, printable(mrkdwn), Style())
        return text

    def plain(self, plain_text: str, style: Style | str = "") -> Text:
        """A plain_text object: entities and emoji codes change, nothing else."""
        return Text(plain_words(plain_text), style=style)

    def _append(self, text: Text, mrkdwn: str, style: Style) -> None:
        for span in _spans(mrkdwn):
            span_style = style + span.style
            if span.atom is None:
                text.append(_words(mrkdwn[span.start:span.end]), span_style)
            elif span.atom.lastgroup == "link":
                self._link(text, span.atom.group("link"), span_style)
            else:  # code and pre: shown as typed
                inner = span.atom.group(span.atom.lastgroup or "code")
                text.append(slack_unescape(inner.rstrip("\n")), span_style + CODE)

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


def _spans(mrkdwn: str) -> list[_Span]:
    """The line cut into text and atoms, each styled by the *, _ and ~ pairs around it (those marker characters
    taken out). Slack's rule: a marker opens after the start, a space or punctuation and before a non-space;
    it closes after a non-space and before the end, a space or punctuation. A marker that finds no partner on
    its line is shown as typed."""
    atoms = list(ATOM.finditer(mrkdwn))
    inside_atom = {i for atom in atoms for i in range(atom.start(), atom.end())}
    pairs = _pairs(mrkdwn, inside_atom)
    markers = {i for pair in pairs for i in pair}

    def style_at(position: int) -> Style:
        return Style.chain(Style(), *(MARKERS[mrkdwn[start]] for start, end in pairs if start < position < end))

    spans: list[_Span] = []
    atom_at = {atom.start(): atom for atom in atoms}
    position = 0
    while position < len(mrkdwn):
        if atom := atom_at.get(position):
            spans.append(_Span(position, atom.end(), style_at(position), atom))
            position = atom.end()
        elif position in markers:
            position += 1
        else:
            end = position
            while end < len(mrkdwn) and end not in markers and end not in atom_at:
                end += 1
            spans.append(_Span(position, end, style_at(position)))
            position = end
    return spans


def _pairs(mrkdwn: str, inside_atom: set[int]) -> list[tuple[int, int]]:
    """(opening, closing) positions of the markers that pair up; a closer takes the nearest opener of its kind."""
    pairs: list[tuple[int, int]] = []
    open_markers: list[int] = []
    for position, char in enumerate(mrkdwn):
        if char == "\n":
            open_markers.clear()  # Slack's styles end with the line
        if char not in MARKERS or position in inside_atom:
            continue
        before = mrkdwn[position - 1] if position else " "
        after = mrkdwn[position + 1] if position + 1 < len(mrkdwn) else " "
        opener = next((o for o in reversed(open_markers) if mrkdwn[o] == char and o < position - 1), None)
        if opener is not None and not before.isspace() and not after.isalnum():
            open_markers[open_markers.index(opener):] = []  # markers opened inside and never closed stay as typed
            pairs.append((opener, position))
        elif not before.isalnum() and not after.isspace():
            open_markers.append(position)
    return pairs


def _words(mrkdwn: str) -> str:
    return _emoji(slack_unescape(mrkdwn))


def _emoji(text: str) -> str:
    for slack_name, rich_name in SLACK_EMOJI.items():
        text = text.replace(slack_name, rich_name)
    return Emoji.replace(text)
