"""Reading lines: prompt_toolkit at a terminal (editing, history, completion); plain lines from a pipe."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from bot.runtime.console.completion import HeraldCompleter
from bot.runtime.console.forms import CLEAR, LineReader


class ConsoleReader(LineReader, Protocol):
    async def command(self, prompt: str) -> str:
        """One command line; EOFError at the end of input (Ctrl-D), KeyboardInterrupt for Ctrl-C."""


class TerminalReader:
    """Commands get history (kept in `history_file` when given) and completion; form answers get neither."""

    def __init__(self, completer: HeraldCompleter, history_file: Path | None = None) -> None:
        self.completer = completer
        history: History = FileHistory(str(history_file)) if history_file else InMemoryHistory()
        self.commands: PromptSession[str] = PromptSession(history=history, completer=completer,
                                                          complete_while_typing=True,
                                                          auto_suggest=AutoSuggestFromHistory())
        self.answers: PromptSession[str] = PromptSession(history=InMemoryHistory(), completer=completer)

    async def command(self, prompt: str) -> str:
        self.completer.refresh()
        return await self.commands.prompt_async(prompt)

    async def read(self, prompt: str, *, default: str = "", multiline: bool = False, completing: bool = False) -> str:
        return await self.answers.prompt_async(prompt, default=default, multiline=multiline,
                                               complete_while_typing=completing)


class PipedReader:
    """Lines from a pipe, echoed after the prompt so the output reads as a session. An empty answer keeps the
    default (`-` clears it); several lines end at an empty one."""

    def __init__(self, source: TextIO, out: TextIO) -> None:
        self.source = source
        self.out = out

    async def command(self, prompt: str) -> str:
        return await self._line(prompt)

    async def read(self, prompt: str, *, default: str = "", multiline: bool = False, completing: bool = False) -> str:
        if default:
            prompt = f"{prompt}[{_short(default)}; Enter keeps it, {CLEAR} clears it] "
        lines = [await self._line(prompt)]
        while multiline and lines[-1]:
            lines.append(await self._line("  … "))
        typed = "\n".join(lines).strip("\n")
        return typed or default

    async def _line(self, prompt: str) -> str:
        self.out.write(prompt)
        line = await asyncio.to_thread(self.source.readline)
        if not line:
            self.out.write("\n")
            raise EOFError
        self.out.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\r\n")


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:39] + "…"
