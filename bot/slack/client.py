"""Herald's Web API client, with slack_sdk's own retry handlers."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import Settings, SettingsError

log = logging.getLogger(__name__)
TOKEN_CHECK = 10  # seconds the start waits for Slack to say whether it knows the bot token
# What Slack answers when a token itself is wrong: no retry will help, the operator has to change it.
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked", "token_expired",
                           "account_inactive", "missing_scope"})


def make_client(settings: Settings, *, retries: bool = True, timeout: int = 30) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections.

    The release outbox asks for none: a post whose answer was lost may have landed, so it is looked
    for in the channel before being sent again, and a 429 goes back to the outbox's own queue
    instead of holding a sending slot while it sleeps.
    """
    handlers = [AsyncConnectionErrorRetryHandler(max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=5)]
    return AsyncWebClient(token=settings.bot_token, base_url=settings.slack_api_url, timeout=timeout,
                          retry_handlers=handlers if retries else [])


async def check_bot_token(client: AsyncWebClient) -> None:
    """At start, a bot token Slack refuses stops the server in one line (SettingsError), rather than every command
    later answering "please reinstall". A Slack that cannot be reached now is left to the first real call."""
    try:
        await asyncio.wait_for(client.auth_test(), TOKEN_CHECK)
    except TimeoutError:
        log.warning("Slack did not answer auth.test within %g s; going on without checking SLACK_BOT_TOKEN",
                    TOKEN_CHECK)
    except SlackApiError as error:
        if (code := error.response.get("error")) in REFUSED_TOKEN:
            raise SettingsError(f"Slack refused SLACK_BOT_TOKEN ({code}): use the Bot User OAuth Token (xoxb-…) from "
                                "your app's OAuth & Permissions page (reinstall the app if it was revoked)") from None
    except OSError:  # aiohttp's connection errors are OSErrors too
        pass
