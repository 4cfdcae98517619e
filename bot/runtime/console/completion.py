"""Tab completion in the console: commands, /launch subcommands, launch and component names, @people, #channels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from sqlalchemy import Engine
from sqlmodel import select

from bot.core.db import session_scope
from bot.directory.models import Component, Team
from bot.handlers.launches import SUBCOMMANDS
from bot.handlers.support.command_text import SHARE_FLAG
from bot.launches.models import Launch
from bot.runtime.console.workspace import CHANNELS, people

SLASH_COMMANDS = ("/launch", "/whoowns")
CONSOLE_WORDS = ("home", "exit", "quit")  # the console's own: the App Home, and leaving
WHOOWNS_WORDS = ("stale", "team", "set")
NAMES_COMPONENTS = {"release", "subscribe", "unsubscribe"}  # /launch subcommands that take a component too


@dataclass(frozen=True)
class Vocabulary:
    launches: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


def vocabulary(engine: Engine) -> Vocabulary:
    """The names worth completing, read once per prompt (three small queries)."""
    with session_scope(engine) as session:
        return Vocabulary(tuple(session.exec(select(Launch.name).order_by(Launch.name)).all()),
                          tuple(session.exec(select(Component.name).order_by(Component.name)).all()),
                          tuple(session.exec(select(Team.name).order_by(Team.name)).all()))


class HeraldCompleter(Completer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.words = Vocabulary()

    def refresh(self) -> None:
        self.words = vocabulary(self.engine)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        before = document.text_before_cursor
        word = document.get_word_before_cursor(WORD=True)
        if word.startswith("@"):
            yield from _starting(word, [f"@{name}" for name in people()])
        elif word.startswith("#"):
            yield from _starting(word, [f"#{name}" for name in CHANNELS.values()])
        elif word.startswith("--"):
            yield from _starting(word, [SHARE_FLAG])
        elif " " not in before:
            yield from _starting(before, [*SLASH_COMMANDS, *CONSOLE_WORDS])
        else:
            yield from self._arguments(*before.split(" ", 1))

    def _arguments(self, command: str, rest: str) -> Iterator[Completion]:
        if command == "/whoowns":
            if rest.lower().startswith("team "):
                yield from _starting(rest[5:], self.words.teams)
            else:
                yield from _starting(rest, [*WHOOWNS_WORDS, *self.words.components])
        elif command == "/launch" and " " not in rest:
            yield from _starting(rest, list(SUBCOMMANDS))
        elif command == "/launch":
            subcommand, typed = rest.split(" ", 1)
            names = [*self.words.launches, *(self.words.components if subcommand in NAMES_COMPONENTS else ())]
            yield from _starting(typed, names)


def _starting(typed: str, candidates: Iterable[str]) -> Iterator[Completion]:
    """Whole names that start with what is typed (case aside); a name may span words ("checkout v2")."""
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.lower().startswith(typed.lower()) and candidate != typed and candidate not in seen:
            seen.add(candidate)
            yield Completion(candidate, start_position=-len(typed))
