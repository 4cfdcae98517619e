"""What the console prints: Block Kit as terminal text, with every button numbered so typing the number presses it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console as RichConsole
from rich.console import RenderableType
from rich.markdown import Markdown
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

from bot.runtime.console.markup import Mrkdwn, plain_words, printable
from bot.runtime.console.workspace import name_of

BUTTON_STYLES = {"primary": Style(color="green", bold=True), "danger": Style(color="red", bold=True)}


@dataclass(frozen=True)
class Surface:
    """Where a button was shown: a message (in a channel, or only to the person) or a view (modal, App Home)."""

    channel_id: str | None = None
    message: dict[str, Any] | None = None
    ts: str | None = None
    view: dict[str, Any] | None = None


@dataclass(frozen=True)
class Button:
    number: int
    element: dict[str, Any]
    block_id: str
    surface: Surface

    @property
    def label(self) -> str:
        return plain_words(self.element.get("text", {}).get("text", ""))


@dataclass
class Screen:
    """The terminal. Numbering starts again at each command; buttons shown since stay pressable."""

    out: TextIO
    tty: bool = False
    width: int | None = None
    buttons: dict[int, Button] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Piped output (CI, tests) gets plain text with no escape codes and no wrapping.
        self.rich = RichConsole(file=self.out, force_terminal=self.tty, no_color=not self.tty, soft_wrap=not self.tty,
                                highlight=False, markup=False, emoji=False, width=self.width)
        self.mrkdwn = Mrkdwn(name_of, hyperlinks=self.tty)
        self._numbers = itertools.count(1)

    def new_command(self) -> None:
        self.buttons.clear()
        self._numbers = itertools.count(1)

    def say(self, text: str, style: Style | str = "") -> None:
        """The console's own words (not Herald's)."""
        self.rich.print(Text(printable(text), style=style))

    def caption(self, text: str) -> None:
        self.rich.print(Text(f"── {printable(text)} ──", style="dim"))

    def show(self, surface: dict[str, Any], where: Surface) -> None:
        """A message or a view's blocks, in order; its fallback text if it has none."""
        blocks = surface.get("blocks") or []
        for index, block in enumerate(blocks):
            for line in self._block(block, where, default_id=f"console-{index}"):
                if isinstance(line, Markdown):
                    self._markdown(line)
                else:
                    self.rich.print(line)
        if not blocks and surface.get("text"):
            self.rich.print(self.mrkdwn(surface["text"]))

    def button(self, number: int) -> Button | None:
        return self.buttons.get(number)

    def _markdown(self, markdown: Markdown) -> None:
        """Rendered line by line without the spaces rich pads each line with to the full width."""
        options = self.rich.options
        for line in self.rich.render_lines(markdown, options, pad=False, new_lines=False):
            text = Text.assemble(*((segment.text, segment.style) for segment in line if not segment.control))
            text.rstrip()
            self.rich.print(text, overflow="ignore", crop=False, no_wrap=True)

    def _block(self, block: dict[str, Any], where: Surface, *, default_id: str) -> list[RenderableType]:
        kind = block.get("type")
        block_id = block.get("block_id") or default_id
        if kind == "header":
            return [Text.assemble("━━ ", self.mrkdwn.plain(block["text"]["text"]), " ━━", style="bold")]
        if kind == "section":
            return self._section(block, where, block_id)
        if kind == "context":
            parts = [self._element_text(element) for element in block.get("elements", [])]
            return [Text("\n").join(Text("  ") + line for line in Text("  ").join(parts).split("\n"))]
        if kind == "actions":
            return [self._buttons(block.get("elements", []), where, block_id, indent="  ")]
        if kind == "divider":
            return [Rule(style="dim")]
        if kind == "input":
            return [Text(f"▸ {plain_words(block['label']['text'])}", style="bold")]
        if kind == "markdown":
            return [Markdown(printable(block.get("text", "")))]
        if kind == "image":
            return [Text(f"[image: {plain_words(block.get('alt_text', ''))}]", style="dim")]
        return []

    def _section(self, block: dict[str, Any], where: Surface, block_id: str) -> list[RenderableType]:
        lines: list[RenderableType] = []
        if "text" in block:
            lines.append(self._element_text(block["text"], dim=False))
        for item in block.get("fields", []):
            lines.append(self._element_text({**item, "text": item["text"].replace("\n", ": ", 1)}, dim=False))
        accessory = block.get("accessory") or {}
        if accessory.get("type") == "button":
            lines.append(self._buttons([accessory], where, block_id, indent="  "))
        return lines

    def _element_text(self, element: dict[str, Any], *, dim: bool = True) -> Text:
        style = "dim" if dim else ""
        if element.get("type") == "mrkdwn":
            return self.mrkdwn(element.get("text", ""), style)
        if element.get("type") == "image":
            return Text(f"[{plain_words(element.get('alt_text', 'image'))}]", style=style)
        return self.mrkdwn.plain(element.get("text", ""), style)

    def _buttons(self, elements: list[dict[str, Any]], where: Surface, block_id: str, *, indent: str) -> Text:
        row = Text(indent)
        for element in elements:
            if element.get("type") != "button":
                row.append(f"[{element.get('type', 'element').replace('_', ' ')}: not in the console] ", "dim")
                continue
            number = next(self._numbers)
            button = Button(number, element, block_id, where)
            self.buttons[number] = button
            style = BUTTON_STYLES.get(element.get("style", ""), Style(bold=True))
            row.append("[")
            row.append(str(number), Style(color="yellow", bold=True))
            row.append(" " + button.label + (" ↗" if element.get("url") else ""), style)
            row.append("] ")
        row.rstrip()
        return row
