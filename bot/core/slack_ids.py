"""Slack's ID shapes, named once: user IDs start with U or W, channel IDs with C or G (D for DMs), user groups S."""

from __future__ import annotations

import re

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
# How Slack writes them in typed text: <@U123|ann>, <#C123|launches>.
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>")


def is_user_id(value: str | None) -> bool:
    return bool(value) and USER_ID.fullmatch(value) is not None


def is_channel_id(value: str | None) -> bool:
    return bool(value) and CHANNEL_ID.fullmatch(value) is not None


def is_usergroup_id(value: str | None) -> bool:
    return bool(value) and USERGROUP_ID.fullmatch(value) is not None
