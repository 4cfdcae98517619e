"""Sign-offs in Slack: a user group's members, the asks posted and kept showing the answer, the owner told.

Posting happens after the ack; a post Slack refuses is logged and the rest still go out, so one person who
left the workspace does not keep a team from being asked.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.messaging import SlackRefused, SlackUncertain
from bot.launches.read import LaunchDetail
from bot.launches.signoff_models import SignoffRequest
from bot.signoffs import service as signoffs
from bot.signoffs.service import Answered, Requested

log = logging.getLogger(__name__)

GROUP_LOOKUP = 2.0  # seconds


async def group_members(herald: Herald, group_id: str, label: str) -> tuple[str, ...]:
    """A user group's members now (usergroups.users.list): they are the ones asked."""
    try:  # asked before the ack: Slack's 3 seconds leave it this long, a rate limit's wait included
        response = await asyncio.wait_for(herald.slack.usergroups_users_list(usergroup=group_id), GROUP_LOOKUP)
    except TimeoutError:
        raise InvalidInput(f"Slack is slow to tell me who is in {label}; nothing was asked. Try again in a "
                           "minute.") from None
    except SlackApiError as error:
        log.warning("could not read the members of %s: %s", group_id, error)
        raise InvalidInput(f"I can't read the members of {label} (Slack says "
                           f"“{error.response.get('error', 'error')}”).") from None
    return tuple(response.get("users") or [])


async def post_asks(herald: Herald, requested: Requested, *, requested_by: str) -> None:
    """Each ask in its DM or team channel, with Approve and Needs changes; where it landed is kept."""
    for ask, request in requested.asks:
        message = ask_message(herald, requested.detail, request, requested_by=requested_by)
        try:
            response = await herald.slack.chat_postMessage(channel=ask.recipient, **message)
        except SlackApiError as error:
            log.warning("the sign-off ask to %s was not posted: %s", ask.recipient, error)
            continue
        signoffs.record_posted(herald, ask.id, channel_id=response["channel"], ts=response["ts"])


async def show_answer(herald: Herald, answered: Answered) -> None:
    """Every ask of the request shows the answer now (its buttons stay: the answer may still change)."""
    message = ask_message(herald, answered.detail, answered.request, requested_by=answered.request.requested_by)
    for ask in answered.asks:
        if ask.channel_id and ask.ts:
            try:
                await herald.messenger.update(ask.channel_id, ask.ts, message)
            except (SlackRefused, SlackUncertain) as error:
                log.warning("the sign-off ask in %s was not updated: %r", ask.channel_id, error)


async def tell_owner(herald: Herald, answered: Answered) -> None:
    """The owner hears at once of changes asked for, and when every sign-off is in."""
    if not answered.tell_owner:
        return
    owner = answered.detail.launch.owner_id
    message = herald.renderer.message("signoffs/owner_notice.json.j2", request=answered.request,
                                      launch=answered.detail.launch, all_approved=answered.all_approved)
    try:
        await herald.messenger.post(owner, message)
    except (SlackRefused, SlackUncertain) as error:
        log.warning("could not tell %s about the sign-off of %s: %r", owner, answered.detail.launch.key, error)


def ask_message(herald: Herald, detail: LaunchDetail, request: SignoffRequest, *, requested_by: str) -> dict:
    card = herald.renderer.message("launches/card.json.j2", detail=detail, today=herald.today())
    return herald.renderer.message("signoffs/ask.json.j2", request=request, launch=detail.launch,
                                   card_blocks=card["blocks"], requested_by=requested_by,
                                   answer_words=signoffs.ANSWER_WORDS)
