"""Herald's Web API client, with slack_sdk's own retry handlers."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import Settings


def make_client(settings: Settings, *, retries: bool = True, timeout: int = 30) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections.

    The release outbox asks for none: a post whose answer was lost may have landed, so it is looked
    for in the channel before being sent again, and a 429 goes back to the outbox's own queue
    instead of holding a sending slot while it sleeps.
    """
    handlers = [AsyncConnectionErrorRetryHandler(max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=5)]
    return AsyncWebClient(token=settings.bot_token, base_url=settings.slack_api_url, timeout=timeout,
                          retry_handlers=handlers if retries else [])
