"""`/launch`: parse the subcommand, call one launch service function, answer in the ack."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

from slack_bolt.async_app import AsyncApp

from bot.core.block_ids import ActionId
from bot.core.errors import HeraldError, InvalidInput
from bot.core.herald import Herald
from bot.core.slack_ids import CHANNEL_MENTION, USER_MENTION
from bot.handlers import digests as digests_ui
from bot.handlers import insights as insights_ui
from bot.handlers import releases as releases_ui
from bot.handlers import signoffs as signoffs_ui
from bot.handlers.support.command_text import Invocation, Reply, plain_id, split_words, text_of
from bot.handlers.support.replies import answers_errors, error_message
from bot.launches import service as launches
from bot.launches.changes import Change
from bot.launches.fields import PAST_FLAG, TYPED_CHANNEL, unknown_channel
from bot.launches.history import NUMBER, HistoryPage
from bot.launches.read import LaunchDetail
from bot.launches.thread import post_launch_update

ISO_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
HELP = "help"
ALL_FLAG = "--all"  # `/launch status --all`: launched and cancelled launches too
HISTORY_PAGE = re.compile(f"({NUMBER}):({NUMBER})")  # the history's Newer and Older buttons: "<launch id>:<page>"


def register(app: AsyncApp) -> None:
    app.command("/launch")(launch_command)
    app.action(re.compile(f"^{re.escape(ActionId.SHOW_LAUNCH)}"))(show_suggested_launch)
    # Newer is Older's id with a suffix (ids are unique in a block): both show the page their value names.
    app.action(re.compile(f"^{re.escape(ActionId.SHOW_HISTORY_PAGE)}"))(show_history_page)


@answers_errors
async def launch_command(ack, command: dict, respond, herald: Herald) -> None:
    call = replace(parse(command), respond=respond)
    subcommand = SUBCOMMANDS.get(call.subcommand)
    if subcommand is None:
        raise InvalidInput(
            f"I don't know `/launch {call.subcommand}`. Try {', '.join(f'`{name}`' for name in SUBCOMMANDS)}."
        )
    reply = subcommand(herald, call)
    if inspect.isawaitable(reply):
        reply = await reply
    if reply.message is None:
        await ack()
    else:
        await ack(response_type="in_channel" if call.share else "ephemeral", **reply.message)
    if reply.after is not None:
        herald.background.spawn(reply.after())


async def show_suggested_launch(ack, action: dict, respond, herald: Herald) -> None:
    """A "did you mean" button: replace the suggestion with the launch it names."""
    await ack()
    detail = launches.detail(herald, text_of([action["value"]]))
    await respond(replace_original=True, **_card(herald, detail))


async def show_history_page(ack, action: dict, respond, herald: Herald) -> None:
    """The history's Newer and Older buttons: the page they name replaces the one shown."""
    await ack()
    try:
        launch_id, page = _history_page(action.get("value") or "")
        message = _history(herald, launches.history_by_id(herald, launch_id, page=page), paging=True)
    except HeraldError as error:  # the launch is gone, it has fewer pages now, or the value is not Herald's
        message = error_message(herald.renderer, error)
    await respond(replace_original=True, **message)


def _history_page(value: str) -> tuple[int, int]:
    """The launch id and page a Newer or Older button names; a value Herald did not write (so forged) is answered."""
    found = HISTORY_PAGE.fullmatch(value)
    if found is None:
        raise InvalidInput("This button is out of date: run the command again.")
    return int(found[1]), int(found[2])


def parse(command: dict) -> Invocation:
    words, share = split_words(command.get("text") or "")
    subcommand = words[0].lower() if words else HELP
    return Invocation(subcommand, words[1:], command["user_id"], command["channel_id"], share,
                      command.get("trigger_id", ""))


def status(herald: Herald, call: Invocation) -> Reply:
    if ALL_FLAG in call.words and len(call.words) > 1:
        raise InvalidInput(f"`{ALL_FLAG}` is for the board of every launch: `/launch status {ALL_FLAG}`.")
    if not call.words or call.words == [ALL_FLAG]:
        board = launches.board(herald, everything=bool(call.words))
        return Reply(herald.renderer.message("launches/board.json.j2", board=board, today=herald.today()))
    return Reply(_card(herald, launches.detail(herald, text_of(call.words))))


def new(herald: Herald, call: Invocation) -> Reply:
    words = list(call.words)
    owner = channel = target = None
    past = False
    while words:
        last = words[-1]
        if last == PAST_FLAG:
            past = True
        elif user := USER_MENTION.fullmatch(last):
            owner = user.group(1)
        elif room := CHANNEL_MENTION.fullmatch(last):
            channel = room.group(1)
        elif ISO_DAY.match(last):
            target = last
            if len(words) > 1 and words[-2].lower() == "target":
                words.pop()
        elif last.lower() == "target":
            raise InvalidInput("Give the target as a date: `/launch new <name> target YYYY-MM-DD`.")
        elif last.startswith("@"):
            raise InvalidInput(f"I don't know a Slack user “{last}”. Mention them with @ so Slack links the name.")
        elif TYPED_CHANNEL.fullmatch(last):
            raise unknown_channel(text_of([last]))
        else:
            break
        words.pop()
    detail = launches.create(herald, name=text_of(words), actor_id=call.user_id, target=target, owner_id=owner,
                             channel_id=channel, past=past)
    return Reply(_card(herald, detail))


def history(herald: Herald, call: Invocation) -> Reply:
    """`/launch history <launch> [page N]`; a shared page has no buttons, which would page it for everyone."""
    if not call.words:
        raise InvalidInput("Use `/launch history <launch> [page N]`.")
    return Reply(_history(herald, launches.history(herald, words=_typed(call)), paging=not call.share))


def rename(herald: Herald, call: Invocation) -> Reply:
    return _changed(herald, launches.rename(herald, words=_typed(call), actor_id=call.user_id))


def remove_item(herald: Herald, call: Invocation) -> Reply:
    return _changed(herald, launches.remove_item(herald, words=_typed(call), actor_id=call.user_id))


async def set_field(herald: Herald, call: Invocation) -> Reply:
    # Off the loop: a launch set to launched is a release, fanned out to every subscribed channel (500: 0.06-0.25 s).
    change = await asyncio.to_thread(launches.set_field, herald, words=[plain_id(word) for word in call.words],
                                     actor_id=call.user_id)
    return _changed(herald, change)


def check(herald: Herald, call: Invocation) -> Reply:
    return _changed(herald, launches.check(herald, words=_typed(call), done=True, actor_id=call.user_id))


def uncheck(herald: Herald, call: Invocation) -> Reply:
    return _changed(herald, launches.check(herald, words=_typed(call), done=False, actor_id=call.user_id))


def add_item(herald: Herald, call: Invocation) -> Reply:
    return _changed(herald, launches.add_item(herald, words=_typed(call), actor_id=call.user_id))


def help_(herald: Herald, _call: Invocation) -> Reply:
    return Reply(herald.renderer.message("launches/help.json.j2"))


def _typed(call: Invocation) -> list[str]:
    """Each word as the person typed it (Slack's escapes turned back)."""
    return [text_of([word]) for word in call.words]


def _card(herald: Herald, detail: LaunchDetail) -> dict:
    return herald.renderer.message("launches/card.json.j2", detail=detail, today=herald.today())


def _history(herald: Herald, page: HistoryPage, *, paging: bool) -> dict:
    """A history page, with Newer and Older buttons where `paging`: a button's page replaces the message for
    everyone who sees it, so a page shared in a channel has none."""
    return herald.renderer.message("launches/history.json.j2", history=page,
                                   page_action=ActionId.SHOW_HISTORY_PAGE if paging else None)


def _changed(herald: Herald, change: Change) -> Reply:
    """Confirm the change now; post it in the launch's thread after the ack."""
    after = (lambda: post_launch_update(herald, change)) if change.changes and change.launch.channel_id else None
    return Reply(herald.renderer.message("launches/changed.json.j2", change=change, today=herald.today()), after)


# A subcommand answers at once, or awaits the work it hands to a thread (see set_field).
SUBCOMMANDS: dict[str, Callable[[Herald, Invocation], Reply | Awaitable[Reply]]] = {
    "status": status,
    "new": new,
    "set": set_field,
    "check": check,
    "uncheck": uncheck,
    "add-item": add_item,
    "remove-item": remove_item,
    "rename": rename,
    "history": history,
    "release": releases_ui.release,
    "subscribe": releases_ui.subscribe,
    "unsubscribe": releases_ui.unsubscribe,
    "subscriptions": releases_ui.subscriptions,
    "digest": digests_ui.digest,
    "digests": digests_ui.list_digests,
    "releases": releases_ui.list_releases,
    "insights": insights_ui.insights,
    "signoff": signoffs_ui.signoff,
    HELP: help_,
}
