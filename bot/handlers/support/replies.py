"""How listeners answer: domain errors become friendly ephemeral replies, the unexpected gets a reference."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.errors import HeraldError, LaunchNotFound
from bot.core.render import Message

log = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]


def answers_errors(listener: Listener) -> Listener:
    """Wrap a listener that acks last (and takes `ack` and `herald`): if it raises, the ack carries the
    explanation instead."""

    @functools.wraps(listener)
    async def wrapper(**kwargs: Any) -> None:
        ack, herald = kwargs["ack"], kwargs["herald"]
        try:
            await listener(**kwargs)
        except HeraldError as error:
            await ack(response_type="ephemeral", **error_message(herald.renderer, error))
        except Exception:
            await ack(response_type="ephemeral", **unexpected_error())

    return wrapper


def unexpected_error() -> Message:
    """Inside an `except`: the trace goes to the log under a short reference, which the answer gives."""
    reference = uuid.uuid4().hex[:8]
    log.exception("listener failed (ref %s)", reference)
    return {"text": f"Sorry, something went wrong on my side. If it keeps happening, give your admin this "
                    f"reference: {reference}."}


def error_message(renderer, error: HeraldError) -> Message:
    suggestions = error.suggestions if isinstance(error, LaunchNotFound) else []
    return renderer.message("common/notice.json.j2", text=str(error), suggestions=suggestions)


def notice(renderer, text: str) -> Message:
    """A plain answer: one line of text."""
    return renderer.message("common/notice.json.j2", text=text, suggestions=[])
