"""`/launch digest …`: scheduled digests for a channel, or for one person by DM."""

from __future__ import annotations

from functools import partial

from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.matching import slugify
from bot.core.render import format_when_in
from bot.digests import service as digests
from bot.digests.listing import digests_here
from bot.digests.schedules import schedule_of
from bot.handlers.support.command_text import Invocation, Reply
from bot.handlers.support.name_choices import choices
from bot.handlers.support.replies import notice
from bot.releases.names import UnclearName

ME = "me"


def digest(herald: Herald, call: Invocation, *, keep: str | None = None) -> Reply:
    """`keep`: a filter's name the person chose as typed, though it looks like a known one."""
    words = list(call.words)
    personal = bool(words) and words[0].lower() == ME
    if personal:
        words = words[1:]
    where = call.user_id if personal else call.channel_id
    action = words[0].lower() if words else ""
    if action == "off":
        digests.turn_off(herald, where=where, actor_id=call.user_id, personal=personal)
        return Reply(notice(herald.renderer, "Your digest is off." if personal else "This channel's digest is off."))
    if action == "preview":
        return Reply(digests.preview(herald, where=where, personal=personal))
    if not words:
        raise InvalidInput("Use `/launch digest daily 09:00 [Europe/Berlin] [team:… component:… tag:… stage:…] "
                           "[always]`, `/launch digest off`, `/launch digest preview`, or `/launch digest me …`.")
    try:
        found, new = digests.set_up(herald, where=where, personal=personal, words=words, actor_id=call.user_id,
                                    keep=keep)
    except UnclearName as unclear:
        return Reply(choices(herald.renderer, unclear, command="digest",
                             words_for=partial(_with_filter, call.words, unclear)))
    schedule = schedule_of(found)
    who = "You get a digest of your launches by DM" if personal else "This channel gets a launch digest"
    upcoming = format_when_in(schedule.next_fire(herald.clock()), schedule.timezone)
    scope = f" ({', '.join(f'{k}: {v}' for k, v in sorted(found.filters.items()))})" if found.filters else ""
    empty = " It is posted even when there is nothing new." if found.always else " Empty digests are not posted."
    when = schedule.describe()
    unknown = f" Nothing is known yet by {', '.join(new)}; the digest shows it once something is." if new else ""
    text = f"{who}: {when[0].lower()}{when[1:]}{scope}; the next one comes {upcoming}.{empty}{unknown}"
    return Reply(notice(herald.renderer, text))


def _with_filter(words: list[str], unclear: UnclearName, name: str) -> list[str]:
    """The command's words with the unclear filter naming `name` instead."""
    unclear_word = f"{unclear.kind}:{unclear.typed}"
    return [f"{unclear.kind}:{name}" if slugify(word) == slugify(unclear_word) else word for word in words]


def list_digests(herald: Herald, call: Invocation) -> Reply:
    """`/launch digests`: the digests set up here and the caller's own; every one, for an admin."""
    found = digests_here(herald, channel_id=call.channel_id, user_id=call.user_id)
    return Reply(herald.renderer.message("digests/list.json.j2", found=found))
