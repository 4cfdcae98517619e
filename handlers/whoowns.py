"""Ownership lookups: `/whoowns`, "@Herald who owns billing?" in a channel, and the same in a DM."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.db import session_scope
from bot.errors import HeraldError, InvalidInput
from bot.ids import ActionId
from bot.render import Message, slack_unescape
from bot.slack_people import person_from, refresh_people
from handlers.command_text import USER_MENTION, plain_id, split_words, text_of
from handlers.replies import answers_errors, error_message

if TYPE_CHECKING:
    from bot.app import Herald

QUESTION = re.compile(r"who\s+owns\s+(?P<thing>.+)", re.IGNORECASE | re.DOTALL)
HELP_TEXT = (
    "Ask `/whoowns billing`, `/whoowns @person`, `/whoowns team payments`, `/whoowns stale`, or "
    "`/whoowns set <thing> team|primary|backup|channel|escalation <value>`."
)


def register(app: AsyncApp) -> None:
    app.command("/whoowns")(whoowns_command)
    app.event("app_mention")(asked_in_channel)
    app.event({"type": "message", "channel_type": "im"})(asked_in_dm)
    app.action(re.compile(f"^{re.escape(ActionId.SHOW_COMPONENT)}"))(show_other_match)
    app.action(ActionId.CLAIM_COMPONENT)(claim_it)


@answers_errors
async def whoowns_command(ack, command: dict, respond, context: dict) -> None:
    herald: Herald = context["herald"]
    words, share = split_words(command.get("text") or "")
    message = answer(herald, words, actor_id=command["user_id"])
    await ack(response_type="in_channel" if share else "ephemeral", **message)
    if words == ["stale"]:
        herald.background.spawn(_recheck_everyone(herald, respond))
    elif shown := _contacts_shown(message):
        herald.background.spawn(_recheck(herald, shown))


def _contacts_shown(message: Message) -> set[str]:
    return set(re.findall(r"<@([UW][A-Z0-9]+)>", json.dumps(message.get("blocks", []))))


async def _recheck(herald: Herald, user_ids: set[str]) -> None:
    """Ask Slack whether the people just shown still have accounts, at most once a day each."""
    now = herald.clock()
    with session_scope(herald.engine) as session:
        due = directory.contacts_to_recheck(session, user_ids, now=now)
    people = {}
    for user_id in due:
        try:
            user = (await herald.slack.users_info(user=user_id))["user"]
        except SlackApiError:
            continue  # an unknown or inaccessible user stays as it was
        people[user_id] = person_from(user)
    with session_scope(herald.engine) as session:
        directory.record_slack_status(session, people, now=now)


async def _recheck_everyone(herald: Herald, respond) -> None:
    """Refresh every contact from users.list; if the gaps changed, replace the answer just given."""
    people = await refresh_people(herald.slack)
    with session_scope(herald.engine) as session:
        changed = directory.record_slack_status(session, people, now=herald.clock())
    if changed:
        await respond(replace_original=True, **answer(herald, ["stale"], actor_id=""))


async def asked_in_channel(event: dict, context: dict) -> None:
    """Answer in the thread of the question, after Slack has its acknowledgement."""
    herald: Herald = context["herald"]
    text = re.sub(r"<@[UW][A-Z0-9]+(\|[^>]*)?>", "", event.get("text", ""), count=1)
    thread_ts = event.get("thread_ts") or event["ts"]
    herald.background.spawn(_reply(herald, text, event, channel=event["channel"], thread_ts=thread_ts))


async def asked_in_dm(event: dict, context: dict) -> None:
    if event.get("subtype") or event.get("bot_id"):
        return  # edits, joins and Herald's own replies are not questions
    herald: Herald = context["herald"]
    herald.background.spawn(_reply(herald, event.get("text", ""), event, channel=event["channel"]))


async def _reply(herald: Herald, text: str, event: dict, *, channel: str, thread_ts: str | None = None) -> None:
    question = QUESTION.search(text)
    words = split_words(question.group("thing").rstrip(" ?"))[0] if question else []
    try:
        message = answer(herald, words, actor_id=event.get("user", "")) if words else _help(herald)
    except HeraldError as error:
        message = error_message(herald.renderer, error)
    await herald.slack.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)


def answer(herald: Herald, words: list[str], *, actor_id: str) -> Message:
    """The reply to one question, whichever surface asked it."""
    if not words:
        return _help(herald)
    first = words[0].lower()
    with session_scope(herald.engine) as session:
        if len(words) == 1 and (user := USER_MENTION.match(words[0])):
            owned = directory.owned_by_person(session, user.group(1))
            return _list(herald, "What they own", [(c.name, c.kind) for c in owned],
                         "Nothing is recorded for them yet.", person=user.group(1))
        if first == "team" and len(words) > 1:
            team, owned = directory.owned_by_team(session, text_of(words[1:]))
            return _list(herald, f"What {team.name} owns", [(c.name, c.kind) for c in owned],
                         "This team owns nothing in the directory yet.")
        if first == "stale" and len(words) == 1:
            gaps = directory.gaps(session)
            return _list(herald, f"Ownership gaps ({len(gaps)})", [(g.component.name, g.reason) for g in gaps],
                         "Every entry has a reachable primary contact.")
        if first == "set":
            return _set(herald, session, words[1:], actor_id)
        found = directory.lookup(session, herald.directory_index, text_of(words))
    if found.card is None:
        return herald.renderer.message("owner_not_found.json.j2", query=found.query, others=found.others)
    return herald.renderer.message("owner_card.json.j2", card=found.card, others=found.others)


def _set(herald: Herald, session, words: list[str], actor_id: str) -> Message:
    cut = next((i for i, w in enumerate(words) if i > 0 and w.lower() in directory.SETTABLE), None)
    if cut is None or cut == len(words) - 1:
        raise InvalidInput("Use `/whoowns set <thing> team|primary|backup|channel|escalation <value>`.")
    thing = text_of(words[:cut])
    found = directory.lookup(session, herald.directory_index, thing)
    if found.card is None:
        raise InvalidInput(f"I can't find “{thing}” in the directory; `/whoowns {thing}` shows close names.")
    value = " ".join(plain_id(w) for w in words[cut + 1:])
    card = directory.change(session, key=found.card.component.key, field_name=words[cut], value=value,
                            actor_id=actor_id, admins=herald.settings.admins)
    return herald.renderer.message("owner_card.json.j2", card=card, others=[])


def _list(herald: Herald, title: str, rows: list[tuple[str, str]], empty: str, person: str | None = None) -> Message:
    return herald.renderer.message("owner_list.json.j2", title=title, rows=rows, empty=empty, person=person)


def _help(herald: Herald) -> Message:
    return herald.renderer.message("notice.json.j2", text=HELP_TEXT, suggestions=[])


async def show_other_match(ack, action: dict, respond, context: dict) -> None:
    await ack()
    herald: Herald = context["herald"]
    with session_scope(herald.engine) as session:
        card = directory.card(session, int(action["value"]))
    await respond(replace_original=True, **herald.renderer.message("owner_card.json.j2", card=card, others=[]))


async def claim_it(ack, action: dict, body: dict, respond, context: dict) -> None:
    await ack()
    herald: Herald = context["herald"]
    try:
        with session_scope(herald.engine) as session:
            card = directory.claim(session, name=slack_unescape(action["value"]), actor_id=body["user"]["id"])
        message = herald.renderer.message("owner_card.json.j2", card=card, others=[])
    except HeraldError as error:
        message = error_message(herald.renderer, error)
    await respond(replace_original=True, **message)
