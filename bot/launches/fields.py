"""How each settable launch field reads what people type: `/launch set <launch> <field> <value>`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from bot.core.errors import InvalidInput
from bot.core.matching import CLEAR_WORDS
from bot.core.slack_ids import is_channel_id, is_user_id
from bot.launches.models import Risk, Stage

MAX_REASON_LENGTH = 500
SETTABLE_FIELDS = ("stage", "target", "owner", "risk", "channel")
PAST_FLAG = "--past"  # a target that has passed, recorded on purpose
# A channel typed as plain text: Slack links the channels it knows (<#C…|name>), so this one it doesn't.
TYPED_CHANNEL = re.compile(r"#[\w-]*[^\W\d_][\w-]*")
# Bidi embeddings, overrides and isolates reorder the text after them: a launch renamed "\u202extuokcehc" shows as
# "checkout…", a lookalike of another launch.
DIRECTION_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line(text: str, what: str) -> str:
    """Free text as stored (a launch name, checklist item, risk reason): control characters, which Slack's forms
    let through, become spaces and runs of spaces one; direction overrides are refused, naming `what` it is."""
    if any(c in DIRECTION_OVERRIDES for c in text):
        raise InvalidInput(f"{what} can't hold characters that reverse how text is shown (Unicode direction "
                           "overrides, like U+202E); take them out and try again.")
    return " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text).split())


def parse_target(value: str, *, today: date, past: bool = False) -> date:
    """A target date as typed; one before today only with `past` (a typo like 2019 for 2029 is common)."""
    try:
        target = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"“{value}” is not a date I can read: use YYYY-MM-DD, like {today.isoformat()}.") from None
    if len(value) != 10:
        raise InvalidInput(f"“{value}” is not a date I can read: use YYYY-MM-DD, like {today.isoformat()}.")
    if target < today and not past:
        raise InvalidInput(f"{value} is in the past (today is {today.isoformat()}). To record a date that has "
                           f"passed on purpose, add `{PAST_FLAG}`: `target {value} {PAST_FLAG}`.")
    return target


def unknown_channel(typed: str) -> InvalidInput:
    return InvalidInput(f"I can't find a channel “{typed}”. Pick it from the list Slack offers when you type #, "
                        "so it becomes a link; for a private channel, `/invite @Herald` there first.")


Update = list[tuple[str, str, object]]  # (history field, Launch attribute, new value)


def _set_stage(value: str, _today: date) -> Update:
    try:
        return [("stage", "stage", Stage(value.lower().replace(" ", "_")))]
    except ValueError:
        raise InvalidInput(f"“{value}” is not a stage. Stages: {', '.join(Stage)}.") from None


def _set_target(value: str, today: date) -> Update:
    words = value.split()
    past = PAST_FLAG in words
    value = " ".join(word for word in words if word != PAST_FLAG)
    return [("target", "target_date", None if value.lower() in CLEAR_WORDS else parse_target(value, today=today, past=past))]


def _set_owner(value: str, _today: date) -> Update:
    refusal = f"I don't know a Slack user “{value}”. Mention them with @ so Slack links the name."
    return [("owner", "owner_id", _slack_id_or_none(value, is_user_id, refusal))]


def _set_risk(value: str, _today: date) -> Update:
    level, _, reason = value.partition(" ")
    try:
        risk = Risk(level.lower().replace("-", "_"))
    except ValueError:
        raise InvalidInput(f"“{level}” is not a risk level. Use one of: {', '.join(Risk)}.") from None
    reason = one_line(reason, "A risk reason") or None
    if risk is not Risk.ON_TRACK and not reason:
        raise InvalidInput(f"Say why it is {risk.value}: `/launch set <launch> risk {risk.value} <reason>`.")
    if reason and len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"A risk reason can be at most {MAX_REASON_LENGTH} characters; yours has {len(reason)}.")
    return [("risk", "risk", risk), ("risk reason", "risk_reason", reason if risk is not Risk.ON_TRACK else None)]


def _set_channel(value: str, _today: date) -> Update:
    if TYPED_CHANNEL.fullmatch(value):
        raise unknown_channel(value)
    refusal = f"“{value}” is not a channel. Pick one with #, like `#launch-checkout`."
    return [("channel", "channel_id", _slack_id_or_none(value, is_channel_id, refusal))]


def _slack_id_or_none(value: str, valid: Callable[[str], bool], refusal: str) -> str | None:
    """`none` (or `-`, `tbd`, `clear`) clears the field; anything else must be a Slack ID of the right kind."""
    if value.lower() in CLEAR_WORDS:
        return None
    if not valid(value):
        raise InvalidInput(refusal)
    return value


SETTERS = {
    "stage": _set_stage,
    "target": _set_target,
    "owner": _set_owner,
    "risk": _set_risk,
    "channel": _set_channel,
}
