"""“Did you mean …?”: a button per known name and, where a new name may be, one for the name as typed. Pressing one
runs the command again with that name, so nothing is stored until the person has picked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from pydantic import BaseModel, Field, ValidationError, model_validator

from bot.core.errors import InvalidInput
from bot.core.matching import Named
from bot.core.render import Message, Renderer, slack_escape

MAX_WORDS = 40  # more than any command a button runs again takes
MAX_VALUE = 2000  # characters Slack keeps in a button's value


class NameChoice(BaseModel):
    """A button's value: the command to run again, its words as Slack sends them, and the typed name it keeps."""

    command: Literal["subscribe", "release", "digest", "whoowns"]
    words: list[str] = Field(max_length=MAX_WORDS)
    keep: str | None = None  # the name as typed, taken as a new one though it looks like a known one

    @model_validator(mode="after")
    def fits_a_button(self) -> NameChoice:
        """Slack refuses a message whose button value is longer, so the rule holds when building one too."""
        if len(self.model_dump_json()) > MAX_VALUE:
            raise ValueError(f"longer than the {MAX_VALUE} characters of a button's value")
        return self


class Unclear(Protocol):
    """A name typed that is none of the known ones but like some (releases.names.UnclearName and the like)."""

    typed: str
    candidates: list[Named]


def choices(renderer: Renderer, unclear: Unclear, *, command: str,
            words_for: Callable[[str], list[str]], may_be_new: bool = True) -> Message:
    """The question, with the words the command runs again with for each answer (`words_for` a name);
    `may_be_new`: offer to keep the name as typed (not for a name that must exist)."""
    answers = [(c.name, slack_escape(c.spelling), None) for c in unclear.candidates]
    if may_be_new:
        answers.append((f"Use “{unclear.typed}”", slack_escape(unclear.typed), unclear.typed))
    try:
        buttons = [(label, NameChoice(command=command, words=words_for(name), keep=keep).model_dump_json())
                   for label, name, keep in answers]
    except ValidationError:  # more words, or longer ones, than a button carries
        raise InvalidInput(f"{unclear} That is too long to ask about with buttons; run the command again with "
                           "the name you mean, or with fewer words.") from None
    return renderer.message("common/did_you_mean.json.j2", text=str(unclear), buttons=buttons)


def choice_of(value: str) -> NameChoice:
    """A pressed button's value; one that does not parse was not made by Herald, and is answered."""
    try:
        return NameChoice.model_validate_json(value)
    except ValidationError:
        raise InvalidInput("This button is out of date: run the command again.") from None
