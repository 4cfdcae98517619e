"""The Herald container: what every listener, service and worker shares, built once by the runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.core.background import Background
from bot.core.messaging import Messenger
from bot.core.models import utcnow
from bot.core.render import Renderer
from bot.core.roles import Roles
from bot.core.settings import Settings


@dataclass
class Herald:
    settings: Settings
    engine: Engine
    renderer: Renderer
    # Herald's own Web API client: the app answers with it, and work after the ack posts with it.
    slack: AsyncWebClient
    # The same Web API as domain workers see it (posting that joins, errors as Herald's own).
    messenger: Messenger
    clock: Callable[[], datetime] = utcnow
    background: Background = field(default_factory=Background)
    # Admins and announcers as configured; the runtime adds announcer groups' members once Slack has named them.
    roles: Roles = field(init=False)

    def __post_init__(self) -> None:
        self.roles = self.settings.roles

    def today(self) -> date:
        return self.clock().astimezone(self.settings.zone).date()
