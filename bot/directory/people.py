"""People as owners files name them (e-mail, @handle, Backstage user:, Slack user ID) and as Slack knows them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.slack_ids import is_user_id


@dataclass(frozen=True)
class Person:
    slack_user_id: str
    display_name: str
    deactivated: bool


def normalize_ref(ref: str) -> str:
    """One spelling per contact: e-mails and handles are case-insensitive, user IDs are not."""
    ref = ref.strip()
    if ref.lower().startswith("user:"):
        ref = "@" + ref.split("/")[-1].split(":")[-1]
    return ref if is_user_id(ref) else ref.lower()
