"""`/launch digest …`: scheduled digests for a channel, or for one person by DM."""

from __future__ import annotations

from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.render import format_when_in
from bot.digests import service as digests
from bot.digests.schedules import schedule_of
from bot.handlers.support.command_text import Invocation, Reply
from bot.handlers.support.replies import notice

ME = "me"


def digest(herald: Herald, call: Invocation) -> Reply:
    words = list(call.words)
    personal = bool(words) and words[0].lower() == ME
    if personal:
        words = words[1:]
    where = call.user_id if personal else call.channel_id
    action = words[0].lower() if words else ""
    if action == "off":
        digests.turn_off(herald, where=where, actor_id=call.user_id)
        return Reply(notice(herald.renderer, "Your digest is off." if personal else "This channel's digest is off."))
    if action == "preview":
        return Reply(digests.preview(herald, where=where))
    if not words:
        raise InvalidInput("Use `/launch digest daily 09:00 [Europe/Berlin] [team:… component:… tag:… stage:…] "
                           "[always]`, `/launch digest off`, `/launch digest preview`, or `/launch digest me …`.")
    found = digests.set_up(herald, where=where, personal=personal, words=words, actor_id=call.user_id)
    schedule = schedule_of(found)
    who = "You get a digest of your launches by DM" if personal else "This channel gets a launch digest"
    upcoming = format_when_in(schedule.next_fire(herald.clock()), schedule.timezone)
    scope = f" ({', '.join(f'{k}: {v}' for k, v in sorted(found.filters.items()))})" if found.filters else ""
    empty = " It is posted even when there is nothing new." if found.always else " Empty digests are not posted."
    when = schedule.describe()
    text = f"{who}: {when[0].lower()}{when[1:]}{scope}; the next one comes {upcoming}.{empty}"
    return Reply(notice(herald.renderer, text))
