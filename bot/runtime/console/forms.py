"""A modal's inputs asked one by one, each answer kept the way Slack reports it in `view.state.values`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.runtime.console.markup import plain_words, printable
from bot.runtime.console.screen import Screen
from bot.runtime.console.workspace import channel_id_of, name_of, user_id_of

SELECTS = ("static_select", "radio_buttons")
MULTI_SELECTS = ("checkboxes", "multi_static_select")
TEXT_INPUTS = ("plain_text_input", "url_text_input", "email_text_input", "number_input")
PICKERS = {"users_select": ("selected_user", user_id_of), "channels_select": ("selected_channel", channel_id_of),
           "conversations_select": ("selected_conversation", channel_id_of)}
CLEAR = "-"


class LineReader(Protocol):
    """Reads one answer; raises EOFError at the end of input (Ctrl-D) and KeyboardInterrupt for Ctrl-C."""

    async def read(self, prompt: str, *, default: str = "", multiline: bool = False,
                   completing: bool = False) -> str: ...


class Invalid(ValueError):
    """What is wrong with an answer, said to the person before asking again."""


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in view.get("blocks", []) if block.get("type") == "input" and "block_id" in block]


class FormQuestions:
    """Asks for one input block at a time, in the console's zone for dates and times."""

    def __init__(self, screen: Screen, reader: LineReader, zone: ZoneInfo) -> None:
        self.screen = screen
        self.reader = reader
        self.zone = zone

    async def ask(self, block: dict[str, Any], previous: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
        """The block's state entry ({action_id: {...}}), asked until the answer is one Slack would accept."""
        element = block["element"]
        kind = element.get("type", "")
        parse = self._parser(kind, element)
        if parse is None:
            self.screen.say(f"  ({plain_words(block['label']['text'])}: a {kind} input, which the console cannot fill "
                            "in)", "dim")
            return {}
        self._introduce(block, element, error)
        current = previous.get(element.get("action_id", "")) if previous else None
        default = self._initial(kind, element, current)
        while True:
            typed = await self.reader.read(
                "  > ", default=default, multiline=bool(element.get("multiline")), completing=kind in PICKERS)
            typed = printable(typed)  # what Slack's inputs would take: no ESC, BEL and the like
            typed = "" if typed.strip() == CLEAR else typed.strip("\n") if element.get("multiline") else typed.strip()
            try:
                if not typed and not block.get("optional"):
                    raise Invalid("This one is required.")
                return {element.get("action_id", ""): {"type": kind, **parse(typed)}}
            except Invalid as problem:
                self.screen.say(f"  {problem}", "red")

    def _introduce(self, block: dict[str, Any], element: dict[str, Any], error: str | None) -> None:
        label = plain_words(block["label"]["text"]) + ("" if block.get("optional") else " *")
        self.screen.say(label, "bold")
        if hint := (block.get("hint") or {}).get("text"):
            self.screen.say(f"  {plain_words(hint)}", "dim")
        for number, option in enumerate(_options(element), start=1):
            self.screen.say(f"  {number}. {plain_words(option['text']['text'])}")
        if help_text := _how_to_answer(element):
            self.screen.say(f"  {help_text}", "dim")
        if error:
            self.screen.say(f"  ✗ {error}", "bold red")

    def _initial(self, kind: str, element: dict[str, Any], current: dict[str, Any] | None) -> str:
        state = current or _initial_state(element)
        if kind in TEXT_INPUTS:
            return state.get("value") or ""
        if kind in SELECTS:
            return plain_words(((state.get("selected_option") or {}).get("text") or {}).get("text", ""))
        if kind in MULTI_SELECTS:
            return ", ".join(plain_words(o["text"]["text"]) for o in state.get("selected_options") or [])
        if kind == "datepicker":
            return state.get("selected_date") or ""
        if kind == "timepicker":
            return state.get("selected_time") or ""
        if kind == "datetimepicker" and state.get("selected_date_time"):
            return datetime.fromtimestamp(state["selected_date_time"], self.zone).strftime("%Y-%m-%d %H:%M")
        if kind in PICKERS:
            found = state.get(PICKERS[kind][0])
            return name_of(found).lstrip("#") if found else ""
        return ""

    def _parser(self, kind: str, element: dict[str, Any]) -> Callable[[str], dict[str, Any]] | None:
        options = _options(element)
        parsers: dict[str, Callable[[str], dict[str, Any]]] = {
            "datepicker": lambda typed: {"selected_date": _day(typed)},
            "timepicker": lambda typed: {"selected_time": _time(typed)},
            "datetimepicker": lambda typed: {"selected_date_time": self._moment(typed)},
            "number_input": lambda typed: {"value": _number(typed, element)},
        }
        if kind in parsers:
            return parsers[kind]
        if kind in TEXT_INPUTS:
            return lambda typed: {"value": typed or None}
        if kind in SELECTS:
            return lambda typed: {"selected_option": _option(options, typed) if typed else None}
        if kind in MULTI_SELECTS:
            return lambda typed: {"selected_options": [_option(options, part) for part in typed.split(",") if part.strip()]}
        if kind in PICKERS:
            key, find = PICKERS[kind]
            return lambda typed: {key: _found(find, typed)}
        return None

    def _moment(self, typed: str) -> int | None:
        if not typed:
            return None
        try:
            return int(datetime.strptime(typed, "%Y-%m-%d %H:%M").replace(tzinfo=self.zone).timestamp())
        except ValueError:
            raise Invalid(f"Type a date and time like 2026-12-01 09:30 ({self.zone.key}).") from None


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    groups = element.get("option_groups") or []
    return element.get("options") or [option for group in groups for option in group.get("options", [])]


def _initial_state(element: dict[str, Any]) -> dict[str, Any]:
    """Slack's state for an element nobody has touched: its initial_* fields."""
    state = {"value": element.get("initial_value"), "selected_option": element.get("initial_option"),
             "selected_options": element.get("initial_options"), "selected_date": element.get("initial_date"),
             "selected_time": element.get("initial_time"), "selected_date_time": element.get("initial_date_time")}
    for key, _ in PICKERS.values():
        state[key] = element.get(key.replace("selected_", "initial_"))
    return state


def _how_to_answer(element: dict[str, Any]) -> str:
    kind = element.get("type", "")
    if element.get("multiline"):
        return "Several lines: Esc then Enter (or an empty line when piped) finishes."
    return {"datepicker": "A date: YYYY-MM-DD.", "timepicker": "A time: HH:MM.",
            "datetimepicker": "A date and time: YYYY-MM-DD HH:MM.", "users_select": "A person: @name.",
            "channels_select": "A channel: #name.", "conversations_select": "A channel: #name.",
            }.get(kind, "The number or the name of one." if kind in SELECTS else
                  "Numbers or names, separated by commas." if kind in MULTI_SELECTS else "")


def _option(options: list[dict[str, Any]], typed: str) -> dict[str, Any]:
    typed = typed.strip()
    if typed.isdigit() and 1 <= int(typed) <= len(options):
        return options[int(typed) - 1]
    matches = [o for o in options
               if plain_words(o["text"]["text"]).lower().startswith(typed.lower()) or o.get("value") == typed]
    if len(matches) != 1:
        raise Invalid(f"Pick one of 1–{len(options)}.")
    return matches[0]


def _day(typed: str) -> str | None:
    if not typed:
        return None
    try:
        return date.fromisoformat(typed).isoformat()
    except ValueError:
        raise Invalid("Type a date like 2026-12-01.") from None


def _time(typed: str) -> str | None:
    if not typed:
        return None
    try:
        return time.fromisoformat(typed).strftime("%H:%M")
    except ValueError:
        raise Invalid("Type a time like 09:30.") from None


def _number(typed: str, element: dict[str, Any]) -> str | None:
    if not typed:
        return None
    try:
        number = Decimal(typed)
    except InvalidOperation:
        raise Invalid("Type a number.") from None
    if not element.get("is_decimal_allowed") and number != number.to_integral_value():
        raise Invalid("Type a whole number.")
    return typed


def _found(find: Callable[[str], str | None], typed: str) -> str | None:
    if not typed:
        return None
    if (found := find(typed)) is None:
        raise Invalid(f"No one and nothing called {typed} in the console's workspace.")
    return found
