"""Block Kit identifiers, named once so templates and listeners cannot drift apart."""

from enum import StrEnum


class ActionId(StrEnum):
    SHOW_LAUNCH = "launch.show"
    SHOW_COMPONENT = "directory.show"
    CLAIM_COMPONENT = "directory.claim"
    PREVIEW_RELEASE = "release.preview"
    UPDATE_LAUNCH = "home.update_launch"
    SHOW_HISTORY_PAGE = "launch.history_page"  # Newer and Older: the value names the page
    CHOOSE_NAME = "name.choose"  # a "did you mean" button: run the command again with the name chosen
    INPUT = "input"  # the one element of each input block
    APPROVE_SIGNOFF = "signoff.approve"  # the value names the sign-off request
    ASK_FOR_CHANGES = "signoff.changes"  # opens the form for the reason


class ViewId(StrEnum):
    RELEASE_FORM = "release.form"
    UPDATE_LAUNCH = "launch.update_form"
    SIGNOFF_CHANGES = "signoff.changes_form"


class BlockId(StrEnum):
    """Inputs of the release form; Slack reports state and errors by these."""

    TITLE = "release.title"
    NOTES = "release.notes"
    TAGS = "release.tags"
    LINK = "release.link"
    WHEN = "release.when"
    AT = "release.at"
    PREVIEW = "release.preview"
    STAGE = "launch.stage"
    RISK = "launch.risk"
    REASON = "launch.reason"
    SIGNOFF_REASON = "signoff.reason"
