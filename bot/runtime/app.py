"""The one place Herald's Bolt app is built and its listeners wired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.models import utcnow
from bot.core.render import Renderer
from bot.core.settings import Settings
from bot.handlers import register_all
from bot.runtime.handled_events import claim_event
from bot.slack.client import make_client
from bot.slack.messenger import Messenger

HERALD_CONTEXT_KEY = "herald"  # listeners declare `herald: Herald`; Bolt injects context keys by name


def make_herald(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utcnow,
    slack: AsyncWebClient | None = None,
) -> Herald:
    renderer = Renderer(settings.templates_override, zone=settings.zone)
    slack = slack or make_client(settings)
    return Herald(settings, engine, renderer, slack, Messenger(slack), clock)


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

    register_all(app)
    return app
