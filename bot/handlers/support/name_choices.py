"""“Did you mean …?”: a button per known name and one for the name as typed. Pressing one runs the command
again with that name, so nothing is stored until the person has picked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from bot.core.errors import InvalidInput
from bot.core.render import Message, Renderer, slack_escape
from bot.releases.names import UnclearName

MAX_WORDS = 40  # more than any command a button runs again takes


class NameChoice(BaseModel):
    """A button's value: the command to run again, its words as Slack sends them, and the typed name it keeps."""

    command: Literal["subscribe", "release", "digest"]
    words: list[str] = Field(max_length=MAX_WORDS)
    keep: str | None = None  # the name as typed, taken as a new one though it looks like a known one


def choices(renderer: Renderer, unclear: UnclearName, *, command: str,
            words_for: Callable[[str], list[str]]) -> Message:
    """The question, with the words the command runs again with for each answer (`words_for` a name)."""
    buttons = [(c.name, NameChoice(command=command, words=words_for(slack_escape(c.spelling)))) for c in unclear.candidates]
    buttons.append((f"Use “{unclear.typed}”", NameChoice(command=command, words=words_for(slack_escape(unclear.typed)),
                                                          keep=unclear.typed)))
    return renderer.message("common/did_you_mean.json.j2", text=str(unclear),
                            buttons=[(label, choice.model_dump_json()) for label, choice in buttons])


def choice_of(value: str) -> NameChoice:
    """A pressed button's value; one that does not parse was not made by Herald, and is answered."""
    try:
        return NameChoice.model_validate_json(value)
    except ValidationError:
        raise InvalidInput("This button is out of date: run the command again.") from None
