"""`/launch`: read and change launches from Slack. Parses the command, calls the launch service, answers in the ack."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot import launches
from bot.db import session_scope
from bot.errors import InvalidInput
from bot.ids import ActionId
from bot.render import slack_unescape
from handlers.command_text import (
    CHANNEL_MENTION,
    USER_MENTION,
    Invocation,
    Reply,
    plain_id,
    split_words,
    text_of,
)
from handlers import digests as digests_ui
from handlers import releases as releases_ui
from handlers.launch_updates import follow_up
from handlers.replies import answers_errors

if TYPE_CHECKING:
    from bot.app import Herald

ISO_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
HELP = "help"


def register(app: AsyncApp) -> None:
    app.command("/launch")(launch_command)
    app.action(re.compile(f"^{re.escape(ActionId.SHOW_LAUNCH)}"))(show_suggested_launch)


@answers_errors
async def launch_command(ack, command: dict, context: dict) -> None:
    herald: Herald = context["herald"]
    call = parse(command)
    subcommand = SUBCOMMANDS.get(call.subcommand)
    if subcommand is None:
        raise InvalidInput(
            f"I don't know `/launch {call.subcommand}`. Try {', '.join(f'`{name}`' for name in SUBCOMMANDS)}."
        )
    reply = subcommand(herald, call)
    if reply.message is None:
        await ack()
    else:
        await ack(response_type="in_channel" if call.share else "ephemeral", **reply.message)
    if reply.after is not None:
        herald.background.spawn(reply.after())


async def show_suggested_launch(ack, action: dict, respond, context: dict) -> None:
    """A "did you mean" button: replace the suggestion with the launch it names."""
    await ack()
    herald: Herald = context["herald"]
    with session_scope(herald.engine) as session:
        detail = launches.launch_detail(session, slack_unescape(action["value"]))
    message = herald.renderer.message("launch_card.json.j2", detail=detail, today=herald.today())
    await respond(replace_original=True, **message)


def parse(command: dict) -> Invocation:
    words, share = split_words(command.get("text") or "")
    subcommand = words[0].lower() if words else HELP
    return Invocation(subcommand, words[1:], command["user_id"], command["channel_id"], share,
                      command.get("trigger_id", ""))


def status(herald: Herald, call: Invocation) -> Reply:
    today = herald.today()
    with session_scope(herald.engine) as session:
        if not call.words:
            board = launches.board(session)
            return Reply(herald.renderer.message("launch_board.json.j2", board=board, today=today))
        detail = launches.launch_detail(session, text_of(call.words))
    return Reply(herald.renderer.message("launch_card.json.j2", detail=detail, today=today))


def new(herald: Herald, call: Invocation) -> Reply:
    words = list(call.words)
    owner = channel = target = None
    while words:
        last = words[-1]
        if user := USER_MENTION.match(last):
            owner = user.group(1)
        elif room := CHANNEL_MENTION.match(last):
            channel = room.group(1)
        elif ISO_DAY.match(last):
            target = last
            if len(words) > 1 and words[-2].lower() == "target":
                words.pop()
        elif last.lower() == "target":
            raise InvalidInput("Give the target as a date: `/launch new <name> target YYYY-MM-DD`.")
        elif last.startswith("@"):
            raise InvalidInput(f"I don't know a Slack user “{last}”. Mention them with @ so Slack links the name.")
        else:
            break
        words.pop()
    with session_scope(herald.engine) as session:
        launch = launches.create_launch(
            session,
            name=text_of(words),
            actor_id=call.user_id,
            target=target,
            owner_id=owner,
            channel_id=channel,
            today=herald.today(),
            now=herald.clock(),
        )
        detail = launches.launch_detail(session, launch.key)
    return Reply(herald.renderer.message("launch_card.json.j2", detail=detail, today=herald.today()))


def set_field(herald: Herald, call: Invocation) -> Reply:
    with session_scope(herald.engine) as session:
        reference, rest = launches.split_reference(session, call.words, before=launches.SETTABLE_FIELDS)
        if not reference or not rest:
            raise InvalidInput(
                f"Use `/launch set <launch> <field> <value>`; fields: {', '.join(launches.SETTABLE_FIELDS)}."
            )
        field_name, value = rest[0], " ".join(plain_id(word) for word in rest[1:])
        if not value:
            raise InvalidInput(f"Give a value: `/launch set {reference} {field_name} <value>`.")
        change = launches.change_field(
            session,
            reference=reference,
            field_name=field_name,
            value=value,
            actor_id=call.user_id,
            admins=herald.settings.admins,
            today=herald.today(),
            now=herald.clock(),
        )
        after = follow_up(herald, session, change)
    return _changed(herald, change, after)


def check(herald: Herald, call: Invocation, *, done: bool = True) -> Reply:
    with session_scope(herald.engine) as session:
        reference, rest = launches.split_reference(session, call.words)
        if not reference or not rest:
            verb = "check" if done else "uncheck"
            raise InvalidInput(f"Use `/launch {verb} <launch> <item number or name>`.")
        change = launches.check_item(
            session,
            reference=reference,
            item=text_of(rest),
            done=done,
            actor_id=call.user_id,
            admins=herald.settings.admins,
            now=herald.clock(),
        )
        after = follow_up(herald, session, change)
    return _changed(herald, change, after)


def uncheck(herald: Herald, call: Invocation) -> Reply:
    return check(herald, call, done=False)


def add_item(herald: Herald, call: Invocation) -> Reply:
    with session_scope(herald.engine) as session:
        reference, rest = launches.split_reference(session, call.words)
        if not reference or not rest:
            raise InvalidInput("Use `/launch add-item <launch> <item>`.")
        change = launches.add_item(
            session, reference=reference, label=text_of(rest), actor_id=call.user_id, admins=herald.settings.admins,
            now=herald.clock(),
        )
        after = follow_up(herald, session, change)
    return _changed(herald, change, after)


def help_(herald: Herald, _call: Invocation) -> Reply:
    return Reply(herald.renderer.message("launch_help.json.j2"))


def _changed(herald: Herald, change: launches.Change, after) -> Reply:
    return Reply(herald.renderer.message("launch_changed.json.j2", change=change, today=herald.today()), after)


SUBCOMMANDS = {
    "status": status,
    "new": new,
    "set": set_field,
    "check": check,
    "uncheck": uncheck,
    "add-item": add_item,
    "release": releases_ui.open_release_form,
    "subscribe": releases_ui.subscribe,
    "unsubscribe": releases_ui.unsubscribe,
    "subscriptions": releases_ui.subscriptions,
    "digest": digests_ui.digest,
    HELP: help_,
}
