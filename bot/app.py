"""The one place Herald's Bolt app is built and its listeners wired."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.background import Background
from bot.db import session_scope
from bot.digest_runner import DigestScheduler
from bot.directory_index import DirectoryIndex
from bot.handled_events import claim_event
from bot.models import utcnow
from bot.render import Renderer
from bot.settings import Settings
from handlers import home, launch, releases, whoowns

HERALD_CONTEXT_KEY = "herald"


@dataclass
class Herald:
    """What every listener needs besides Slack's own arguments."""

    settings: Settings
    engine: Engine
    renderer: Renderer
    # Herald's own Web API client: the app answers with it, and work after the ack posts with it.
    slack: AsyncWebClient
    clock: Callable[[], datetime] = utcnow
    background: Background = field(default_factory=Background)
    directory_index: DirectoryIndex = field(default_factory=DirectoryIndex)
    digest_jobs: DigestScheduler | None = None  # set where a scheduler runs (serve, socket)

    def today(self) -> date:
        return self.clock().astimezone(self.settings.zone).date()


def make_herald(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utcnow,
    slack: AsyncWebClient | None = None,
) -> Herald:
    renderer = Renderer(settings.template_dirs, zone=settings.zone)
    return Herald(settings, engine, renderer, slack or make_client(settings), clock)


def make_client(settings: Settings, *, retries: bool = True) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections.

    The release outbox asks for none: a post whose answer was lost may have landed, so it is looked
    for in the channel before being sent again, and a 429 goes back to the outbox's own queue
    instead of holding a sending slot while it sleeps.
    """
    handlers = [AsyncConnectionErrorRetryHandler(max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=5)]
    return AsyncWebClient(token=settings.bot_token, base_url=settings.slack_api_url,
                          retry_handlers=handlers if retries else [])


def create_app(herald: Herald, *, authorize: Callable[..., AuthorizeResult] | None = None) -> AsyncApp:
    """Build the Bolt app. `authorize` replaces the auth.test call where there is no Slack (the console)."""
    app = AsyncApp(
        client=herald.slack,
        signing_secret=herald.settings.signing_secret or "",
        authorize=authorize,
        request_verification_enabled=authorize is None,
        # Listeners answer in the ack itself and push slow work to Herald's background tasks,
        # which skips Bolt's 10 ms ack polling.
        process_before_response=True,
    )

    @app.middleware
    async def provide_herald(context, next):  # noqa: A002 - Bolt injects by this name
        context[HERALD_CONTEXT_KEY] = herald
        await next()

    @app.middleware
    async def answer_each_event_once(body, next):  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with session_scope(herald.engine) as session:
                if not claim_event(session, event_id):
                    return BoltResponse(status=200, body="")
        await next()

    home.register(app)
    launch.register(app)
    releases.register(app)
    whoowns.register(app)
    return app
