"""Thin Bolt listeners, one module per Slack surface, each with `register(app)`.

Only the runtime calls `register_all`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.handlers import directory, home, launches, releases, signoffs


def register_all(app: AsyncApp) -> None:
    for surface in (home, launches, releases, directory, signoffs):
        surface.register(app)
