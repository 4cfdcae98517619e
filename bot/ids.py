"""Block Kit identifiers, named once so templates and listeners cannot drift apart."""

from enum import StrEnum


class ActionId(StrEnum):
    SHOW_LAUNCH = "launch.show"
    SHOW_COMPONENT = "directory.show"
    CLAIM_COMPONENT = "directory.claim"
