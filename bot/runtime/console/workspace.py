"""The console's pretend workspace: the demo people and channels, and text as Slack would send it."""

from __future__ import annotations

import re
from typing import Any

from bot.core.render import slack_escape
from bot.runtime.console.markup import printable
from bot.runtime.demo import DEMO_CHANNELS, DEMO_USERS, DEPARTED

CONSOLE_TEAM = "T0CONSOLE"
CONSOLE_CHANNEL = "C0CONSOLE"
CONSOLE_APP = "A0HERALD"
CHANNELS = {**DEMO_CHANNELS, CONSOLE_CHANNEL: "console"}
RESPONSE_URL = "https://console.invalid/respond"  # never fetched: the console's respond() prints instead


def name_of(slack_id: str) -> str:
    """`#payments` for a channel, `ben` for a person, the ID itself for anyone else."""
    if slack_id in CHANNELS:
        return "#" + CHANNELS[slack_id]
    return DEMO_USERS.get(slack_id, slack_id).split(" ")[0]


def people() -> list[str]:
    return [name_of(user_id) for user_id in DEMO_USERS if user_id not in DEPARTED]


def demo_user(user_id: str) -> dict[str, Any]:
    """A person as users.info describes them."""
    name = name_of(user_id)
    return {"id": user_id, "name": name, "deleted": user_id in DEPARTED, "profile": {"display_name": name}}


def user_id_of(typed: str) -> str | None:
    """`@ben` or `ben` → U0DEMOBEN."""
    wanted = typed.strip().lstrip("@").lower()
    return next((user_id for user_id in DEMO_USERS if name_of(user_id).lower() == wanted), None)


def channel_id_of(typed: str) -> str | None:
    """`#payments` or `payments` → C0DEMOPAY."""
    wanted = typed.strip().lstrip("#").lower()
    return next((channel_id for channel_id, name in CHANNELS.items() if name == wanted), None)


def as_slack_typed(text: str) -> str:
    """What Slack would send for typed text: no control characters (Slack's composer takes no ESC or BEL), `&<>`
    escaped, @person and #channel turned into links."""
    text = slack_escape(printable(text))
    for user_id in DEMO_USERS:
        name = name_of(user_id)
        text = re.sub(rf"(?<!\w)@{name}\b", f"<@{user_id}|{name}>", text)
    for channel_id, name in CHANNELS.items():
        text = re.sub(rf"(?<!\w)#{name}\b", f"<#{channel_id}|{name}>", text)
    return text
