"""A console session driven by a script instead of a terminal: lines as a pipe would give them, `^C` as Ctrl-C."""

from __future__ import annotations

import io

from sqlalchemy import Engine

from bot.core.db import session_scope
from bot.core.settings import load_settings
from bot.runtime.app import make_herald
from bot.runtime.console import Console, ConsoleWebClient
from bot.runtime.console.readers import PipedReader
from bot.runtime.demo import CONSOLE_USER, seed_demo

CTRL_C = "^C"


class ScriptedReader:
    """The piped reader over `script`, except that a `^C` line is Ctrl-C."""

    def __init__(self, script: str, out: io.StringIO) -> None:
        self.piped = PipedReader(io.StringIO(script), out)

    async def command(self, prompt: str) -> str:
        return _pressed(await self.piped.command(prompt))

    async def read(self, prompt: str, **how) -> str:
        return _pressed(await self.piped.read(prompt, **how))


def _pressed(line: str) -> str:
    if line == CTRL_C:
        raise KeyboardInterrupt
    return line


def demo_console(engine: Engine, clock, script: str = "", *, user_id: str = CONSOLE_USER) -> tuple[Console, io.StringIO]:
    """A console on the demo store, reading `script`; what it prints lands in the returned buffer."""
    out = io.StringIO()
    herald = make_herald(load_settings({}), engine, clock=clock, slack=ConsoleWebClient(out))
    with session_scope(engine) as session:
        seed_demo(session, today=herald.today())
    return Console(herald, ScriptedReader(script, out), user_id=user_id), out


def lines(*typed: str) -> str:
    return "".join(line + "\n" for line in typed)
