"""Ownership lookups: `/whoowns`, "@Herald who owns billing?" in a channel, and the same in a DM."""

from __future__ import annotations

import re
from typing import NamedTuple

from slack_bolt.async_app import AsyncApp

from bot.core.block_ids import ActionId
from bot.core.errors import HeraldError, InvalidInput
from bot.core.herald import Herald
from bot.core.render import Message
from bot.core.slack_ids import USER_MENTION
from bot.directory import service as directory
from bot.directory.entries import Card, UnknownEntry
from bot.handlers.support.command_text import Invocation, Reply, plain_id, split_words, text_of
from bot.handlers.support.name_choices import choices
from bot.handlers.support.replies import answers_errors, error_message, notice
from bot.slack.people import recheck_contacts, recheck_everyone

QUESTION = re.compile(r"who\s+owns\s+(?P<thing>.+)", re.IGNORECASE | re.DOTALL)
UNLINKED_PERSON = re.compile(r"@[^\s@]+")  # an @name Slack did not turn into a <@U…> link: no such user
WHOOWNS = "whoowns"  # how a "did you mean" button names the command it runs again
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


class Answer(NamedTuple):
    message: Message
    people: frozenset[str] = frozenset()  # the Slack users it shows, to check they are still there


@answers_errors
async def whoowns_command(ack, command: dict, respond, herald: Herald) -> None:
    words, share = split_words(command.get("text") or "")
    found = answer(herald, words, actor_id=command["user_id"])
    await ack(response_type="in_channel" if share else "ephemeral", **found.message)
    if words == ["stale"]:
        herald.background.spawn(_recheck_everyone(herald, respond))
    elif found.people:
        herald.background.spawn(recheck_contacts(herald, set(found.people)))


async def _recheck_everyone(herald: Herald, respond) -> None:
    """If the gaps changed once Slack was asked about everyone, replace the answer just given."""
    if await recheck_everyone(herald):
        await respond(replace_original=True, **answer(herald, ["stale"], actor_id="").message)


async def asked_in_channel(event: dict, herald: Herald) -> None:
    """Answer in the thread of the question, after Slack has its acknowledgement."""
    text = USER_MENTION.sub("", event.get("text", ""), count=1)
    thread_ts = event.get("thread_ts") or event["ts"]
    herald.background.spawn(_reply(herald, text, event, channel=event["channel"], thread_ts=thread_ts))


async def asked_in_dm(event: dict, herald: Herald) -> None:
    if event.get("subtype") or event.get("bot_id"):
        return  # edits, joins and Herald's own replies are not questions
    herald.background.spawn(_reply(herald, event.get("text", ""), event, channel=event["channel"]))


async def _reply(herald: Herald, text: str, event: dict, *, channel: str, thread_ts: str | None = None) -> None:
    question = QUESTION.search(text)
    words = split_words(question.group("thing").rstrip(" ?"))[0] if question else []
    try:
        message = answer(herald, words, actor_id=event.get("user", "")).message
    except HeraldError as error:
        message = error_message(herald.renderer, error)
    await herald.slack.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)


def answer(herald: Herald, words: list[str], *, actor_id: str) -> Answer:
    """The reply to one question, whichever surface asked it."""
    if not words:
        return Answer(notice(herald.renderer, HELP_TEXT))
    first = words[0].lower()
    if len(words) == 1 and (user := USER_MENTION.fullmatch(words[0])):
        owned = directory.owned_by_person(herald, user.group(1))
        return Answer(_list(herald, "What they own", [(c.name, c.kind) for c in owned],
                            "Nothing is recorded for them yet.", person=user.group(1)), frozenset({user.group(1)}))
    if len(words) == 1 and UNLINKED_PERSON.fullmatch(words[0]):
        raise InvalidInput(f"I don't know a Slack user “{text_of(words)}”. Mention people so that Slack links "
                           "them (pick them from the list as you type); for a team, ask `/whoowns team <team>`.")
    if first == "team" and len(words) == 1:
        raise InvalidInput("Use `/whoowns team <team>`, like `/whoowns team payments`.")
    if first == "claim":  # a keyword, so that "claim billing" never becomes an entry of that name
        raise InvalidInput("`/whoowns claim` is not a command: ask `/whoowns <thing>`, and if nobody is recorded "
                           "as owning it, the answer has a *Claim it* button.")
    if first == "team" and len(words) > 1:
        team, owned = directory.owned_by_team(herald, text_of(words[1:]))
        return Answer(_list(herald, f"What {team.name} owns", [(c.name, c.kind) for c in owned],
                            "This team owns nothing in the directory yet."))
    if first == "stale" and len(words) == 1:
        gaps = directory.gaps(herald)
        return Answer(_list(herald, f"Ownership gaps ({len(gaps)})", [(g.component.name, g.reason) for g in gaps],
                            "Every entry has a reachable primary contact."))
    if first == "set":
        try:
            changed = directory.set_field(herald, words=[plain_id(w) for w in words[1:]], actor_id=actor_id)
        except UnknownEntry as unclear:  # the same change, on the entry picked
            rest = words[1 + directory.field_at(words[1:]):]  # the field and its value
            return Answer(choices(herald.renderer, unclear, command=WHOOWNS, may_be_new=False,
                                  words_for=lambda name: [words[0], name, *rest]))
        card = _card(herald, changed.card)
        return Answer(herald.renderer.message("directory/changed.json.j2", changed=changed, card=card),
                      changed.card.contact_ids)
    found = directory.lookup(herald, text_of(words))
    if found.card is None:
        return Answer(herald.renderer.message("directory/not_found.json.j2", query=found.query, others=found.others))
    return Answer(_card(herald, found.card, others=found.others), found.card.contact_ids)


def run_again(herald: Herald, call: Invocation, *, keep: str | None = None) -> Reply:
    """A "did you mean" button of `/whoowns set`: the command's words again, with the entry picked."""
    return Reply(answer(herald, call.words, actor_id=call.user_id).message)


def _card(herald: Herald, card: Card, *, others: list | None = None) -> Message:
    return herald.renderer.message("directory/card.json.j2", card=card, others=others or [])


def _list(herald: Herald, title: str, rows: list[tuple[str, str]], empty: str, person: str | None = None) -> Message:
    return herald.renderer.message("common/list.json.j2", title=title, rows=rows, empty=empty, person=person)


async def show_other_match(ack, action: dict, respond, herald: Herald) -> None:
    await ack()
    await respond(replace_original=True, **_card(herald, directory.card(herald, int(action["value"]))))


async def claim_it(ack, action: dict, body: dict, respond, herald: Herald) -> None:
    await ack()
    try:
        message = _card(herald, directory.claim(herald, name=text_of([action["value"]]), actor_id=body["user"]["id"]))
    except HeraldError as error:
        message = error_message(herald.renderer, error)
    await respond(replace_original=True, **message)
