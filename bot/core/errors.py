"""Domain errors: each carries a message fit to show the user as it is."""

from __future__ import annotations


class HeraldError(Exception):
    """A problem with what the user asked for; the message says what was wrong and what to do."""


class InvalidInput(HeraldError):
    """`field` names the input that was wrong, where a form needs to point at it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(HeraldError):
    pass


class LaunchNotFound(HeraldError):
    """No single launch answers to a name; `suggestions` holds the closest names."""

    def __init__(self, query: str, suggestions: list[str], *, ambiguous: bool = False) -> None:
        self.query = query
        self.suggestions = suggestions
        self.ambiguous = ambiguous
        if ambiguous:
            message = f"Several launches match “{query}”."
        else:
            message = f"I can't find a launch called “{query}”."
        super().__init__(message)
