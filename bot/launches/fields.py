"""How each settable launch field reads what people type: `/launch set <launch> <field> <value>`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.core.errors import InvalidInput
from bot.core.slack_ids import is_channel_id, is_user_id
from bot.launches.models import Risk, Stage

MAX_REASON_LENGTH = 500
SETTABLE_FIELDS = ("stage", "target", "owner", "risk", "channel")


def parse_target(value: str, *, today: date) -> date:
    try:
        target = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"“{value}” is not a date I can read: use YYYY-MM-DD, like {today.isoformat()}.") from None
    if len(value) != 10:
        raise InvalidInput(f"“{value}” is not a date I can read: use YYYY-MM-DD, like {today.isoformat()}.")
    return target


_CLEAR = {"none", "-", "tbd", "clear"}
Update = list[tuple[str, str, object]]  # (history field, Launch attribute, new value)


def _set_stage(value: str, _today: date) -> Update:
    try:
        return [("stage", "stage", Stage(value.lower().replace(" ", "_")))]
    except ValueError:
        raise InvalidInput(f"“{value}” is not a stage. Stages: {', '.join(Stage)}.") from None


def _set_target(value: str, today: date) -> Update:
    return [("target", "target_date", None if value.lower() in _CLEAR else parse_target(value, today=today))]


def _set_owner(value: str, _today: date) -> Update:
    refusal = f"I don't know a Slack user “{value}”. Mention them with @ so Slack links the name."
    return [("owner", "owner_id", _slack_id_or_none(value, is_user_id, refusal))]


def _set_risk(value: str, _today: date) -> Update:
    level, _, reason = value.partition(" ")
    try:
        risk = Risk(level.lower().replace("-", "_"))
    except ValueError:
        raise InvalidInput(f"“{level}” is not a risk level. Use one of: {', '.join(Risk)}.") from None
    reason = " ".join(reason.split()) or None
    if risk is not Risk.ON_TRACK and not reason:
        raise InvalidInput(f"Say why it is {risk.value}: `/launch set <launch> risk {risk.value} <reason>`.")
    if reason and len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"A risk reason can be at most {MAX_REASON_LENGTH} characters; yours has {len(reason)}.")
    return [("risk", "risk", risk), ("risk reason", "risk_reason", reason if risk is not Risk.ON_TRACK else None)]


def _set_channel(value: str, _today: date) -> Update:
    refusal = f"“{value}” is not a channel. Pick one with #, like `#launch-checkout`."
    return [("channel", "channel_id", _slack_id_or_none(value, is_channel_id, refusal))]


def _slack_id_or_none(value: str, valid: Callable[[str], bool], refusal: str) -> str | None:
    """`none` (or `-`, `tbd`, `clear`) clears the field; anything else must be a Slack ID of the right kind."""
    if value.lower() in _CLEAR:
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
