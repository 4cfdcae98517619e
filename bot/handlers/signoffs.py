"""`/launch signoff`, and the Approve / Needs changes buttons of an ask with the form for the reason.

Who is asked where (see bot/signoffs/recipients.py): a person in their DM; a Slack user group, each member
in their DM; a directory team in its channel when it has one, else each member in their DM.
"""

from __future__ import annotations

import asyncio
import re

from slack_bolt.async_app import AsyncApp

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.core.errors import HeraldError, InvalidInput
from bot.core.herald import Herald
from bot.core.slack_ids import USER_MENTION
from bot.handlers.support.command_text import Invocation, Reply, text_of
from bot.handlers.support.replies import error_message
from bot.launches.history import NUMBER
from bot.launches.signoff_models import Answer
from bot.signoffs import service as signoffs
from bot.signoffs.recipients import Kind, Target
from bot.slack.signoffs import group_members, post_asks, show_answer, tell_owner

USAGE = "Use `/launch signoff <launch>` to see its sign-offs, `/launch signoff <launch> request @person @user-group team` to ask."
# How Slack writes a user group in typed text: <!subteam^S123|@support-team>.
GROUP_MENTION = re.compile(r"<!subteam\^(S[A-Z0-9]{2,})(?:\|([^>]*))?>")
NAMED_USER = re.compile(r"<@[UW][A-Z0-9]{2,}\|([^>]+)>")


def register(app: AsyncApp) -> None:
    app.action(ActionId.APPROVE_SIGNOFF)(approve)
    app.action(ActionId.ASK_FOR_CHANGES)(open_changes_form)
    app.view(ViewId.SIGNOFF_CHANGES)(submit_changes)


async def signoff(herald: Herald, call: Invocation) -> Reply:
    """`/launch signoff <launch>`: who has answered; `… request <who>…`: ask them, by DM or channel after the ack."""
    if not call.words:
        raise InvalidInput(USAGE)
    reference, rest = signoffs.split_request(herald, [text_of([word]) for word in call.words])
    if not rest:
        status = signoffs.status(herald, reference)
        return Reply(herald.renderer.message("signoffs/status.json.j2", status=status))
    if len(rest) < 2:
        raise InvalidInput(f"Name whom to ask: `/launch signoff {reference} request @person @user-group team`.")
    named = [_target(word) for word in rest[1:]]  # every word read before Slack is asked anything
    targets = list(await asyncio.gather(*(_with_members(herald, target) for target in named)))  # at once: one 2 s
    requested = signoffs.request(herald, reference=reference, targets=targets, actor_id=call.user_id)
    message = herald.renderer.message("signoffs/requested.json.j2", requested=requested)
    return Reply(message, lambda: post_asks(herald, requested, requested_by=call.user_id))


async def approve(ack, action: dict, body: dict, respond, herald: Herald) -> None:
    await ack()
    try:
        answered = signoffs.answer(herald, request_id=_request_id(action.get("value")), user_id=body["user"]["id"],
                                   answer=Answer.APPROVED)
    except HeraldError as error:  # a forwarded button, a stale one, or a launch that has launched: nothing changes
        await respond(response_type="ephemeral", replace_original=False, **error_message(herald.renderer, error))
        return
    _after_answer(herald, answered)


async def open_changes_form(ack, action: dict, body: dict, herald: Herald) -> None:
    await ack()
    try:
        request, launch = signoffs.may_answer(herald, _request_id(action.get("value")), user_id=body["user"]["id"])
    except HeraldError as error:  # say why instead of offering a form that could only be refused
        view = herald.renderer.view("common/notice_view.json.j2", title="Sign-off", text=str(error))
    else:
        view = herald.renderer.view("signoffs/changes_form.json.j2", request=request, launch=launch,
                                    max_reason=signoffs.MAX_REASON)
    await herald.slack.views_open(trigger_id=body["trigger_id"], view=view)


async def submit_changes(ack, body: dict, view: dict, herald: Herald) -> None:
    values = view["state"]["values"]
    reason = values.get(BlockId.SIGNOFF_REASON, {}).get(ActionId.INPUT, {}).get("value") or ""
    try:
        answered = signoffs.answer(herald, request_id=_request_id(view.get("private_metadata")),
                                   user_id=body["user"]["id"], answer=Answer.CHANGES, reason=reason)
    except HeraldError as error:
        await ack(response_action="errors", errors={BlockId.SIGNOFF_REASON: str(error)})
        return
    await ack()
    _after_answer(herald, answered)


def _after_answer(herald: Herald, answered: signoffs.Answered) -> None:
    """The asks show the answer; the owner hears of it when they must."""
    herald.background.spawn(show_answer(herald, answered))
    herald.background.spawn(tell_owner(herald, answered))


def _target(word: str) -> Target:
    """One `<who>`: a person or user group as Slack links them, else a directory team by name."""
    if person := USER_MENTION.fullmatch(word):
        named = NAMED_USER.fullmatch(word)
        return Target(Kind.PERSON, person.group(1), f"@{named.group(1)}" if named else person.group(1))
    if group := GROUP_MENTION.fullmatch(word):
        return Target(Kind.GROUP, group.group(1), group.group(2) or group.group(1))
    if word.startswith("@"):
        raise InvalidInput(f"I don't know a Slack user or user group “{word}”. Mention them with @ so Slack "
                           "links the name.")
    return Target(Kind.TEAM, word, word)


async def _with_members(herald: Herald, target: Target) -> Target:
    """A user group's members are asked one by one, so Slack names them now."""
    if target.kind is not Kind.GROUP:
        return target
    return Target(target.kind, target.ref, target.label, await group_members(herald, target.ref, target.label))


def _request_id(value: str | None) -> int:
    """The request a button or form names; a value Herald did not write (so forged) is answered in words."""
    if not value or not re.fullmatch(NUMBER, value):
        raise InvalidInput("This sign-off button is out of date.")
    return int(value)
