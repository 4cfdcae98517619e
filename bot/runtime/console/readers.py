"""Reading lines: prompt_toolkit at a terminal (editing, history, completion); plain lines from a pipe."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output, create_output
from prompt_toolkit.output.vt100 import Vt100_Output

from bot.runtime.console.completion import HeraldCompleter
from bot.runtime.console.forms import CLEAR, LineReader
from bot.runtime.console.markup import printable


class ConsoleReader(LineReader, Protocol):
    async def command(self, prompt: str) -> str:
        """One command line; EOFError at the end of input (Ctrl-D), KeyboardInterrupt for Ctrl-C."""


class TerminalReader:
    """Commands get history (kept in `history_file` when given) and completion; form answers get neither. An
    answer starts empty, the current value shown in the prompt: Enter keeps it, `-` clears it, as when piped."""

    def __init__(self, completer: HeraldCompleter, history_file: Path | None = None, *, input: Input | None = None,
                 output: Output | None = None) -> None:
        self.completer = completer
        output = output or terminal_output(sys.stdout)
        history: History = FileHistory(str(history_file)) if history_file else InMemoryHistory()
        self.commands: PromptSession[str] = PromptSession(history=history, completer=completer,
                                                          complete_while_typing=True,
                                                          auto_suggest=AutoSuggestFromHistory(),
                                                          input=input, output=output)
        self.answers: PromptSession[str] = PromptSession(history=InMemoryHistory(), completer=completer,
                                                         input=input, output=output)

    async def command(self, prompt: str) -> str:
        self.completer.refresh()
        return await self.commands.prompt_async(prompt)

    async def read(self, prompt: str, *, default: str = "", multiline: bool = False, completing: bool = False) -> str:
        typed = await self.answers.prompt_async(with_current(prompt, default), multiline=multiline,
                                                complete_while_typing=completing)
        return typed if typed.strip() else default


class PipedReader:
    """Lines from a pipe, echoed after the prompt so the output reads as a session. An empty answer keeps the
    default (`-` clears it); several lines end at an empty one."""

    def __init__(self, source: TextIO, out: TextIO) -> None:
        self.source = source
        self.out = out

    async def command(self, prompt: str) -> str:
        return await self._line(prompt)

    async def read(self, prompt: str, *, default: str = "", multiline: bool = False, completing: bool = False) -> str:
        lines = [await self._line(with_current(prompt, default))]
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
        self.out.write(printable(line if line.endswith("\n") else line + "\n"))  # no ESC or BEL echoed
        return line.rstrip("\r\n")


def terminal_output(stdout: TextIO) -> Output:
    """The terminal, without cursor position requests: a terminal that does not answer them (`script`, dumb
    terminals) would get prompt_toolkit's warning printed, and the console needs no more than the line it is on."""
    output = create_output(stdout)
    if isinstance(output, Vt100_Output):
        output.enable_cpr = False
    return output


def with_current(prompt: str, current: str) -> str:
    """The prompt, with the value Enter keeps and how to clear it."""
    return f"{prompt}[{_short(current)}; Enter keeps it, {CLEAR} clears it] " if current else prompt


def _short(text: str) -> str:
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= 40 else flat[:39] + "…"
