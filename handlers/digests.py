"""`/launch digest …`: scheduled digests for a channel, or for one person by DM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import digests
from bot.db import session_scope
from bot.digest_runner import DigestRunner
from bot.errors import InvalidInput
from bot.render import Message, format_when_in
from bot.schedules import parse_schedule
from handlers.command_text import Invocation, Reply

if TYPE_CHECKING:
    from bot.app import Herald

ME = "me"


def digest(herald: Herald, call: Invocation) -> Reply:
    words = list(call.words)
    personal = bool(words) and words[0].lower() == ME
    if personal:
        words = words[1:]
    where = call.user_id if personal else call.channel_id
    action = words[0].lower() if words else ""
    if action == "off":
        with session_scope(herald.engine) as session:
            digests.remove_digest(session, channel_id=where)
        _resync(herald)
        return _say(herald, "Your digest is off." if personal else "This channel's digest is off.")
    if action == "preview":
        return Reply(_preview(herald, where))
    if not words:
        raise InvalidInput("Use `/launch digest daily 09:00 [Europe/Berlin] [team:… component:… tag:… stage:…] "
                           "[always]`, `/launch digest off`, `/launch digest preview`, or `/launch digest me …`.")
    schedule, rest = parse_schedule(words, default_timezone=herald.settings.timezone)
    filters, always = digests.parse_options(rest)
    with session_scope(herald.engine) as session:
        digests.set_digest(session, channel_id=where, personal=personal, schedule=schedule, filters=filters,
                           always=always, actor_id=call.user_id)
    _resync(herald)
    who = "You get a digest of your launches by DM" if personal else "This channel gets a launch digest"
    upcoming = format_when_in(schedule.next_fire(herald.clock()), schedule.timezone)
    scope = f" ({', '.join(f'{k}: {v}' for k, v in sorted(filters.items()))})" if filters else ""
    empty = " It is posted even when there is nothing new." if always else " Empty digests are not posted."
    when = schedule.describe()
    return _say(herald, f"{who}: {when[0].lower()}{when[1:]}{scope}; the next one comes {upcoming}.{empty}")


def _preview(herald: Herald, where: str) -> Message:
    """What the next digest would say if it came now: everything since the last scheduled one."""
    now = herald.clock()
    with session_scope(herald.engine) as session:
        found = digests.digest_for(session, where)
        return DigestRunner(herald).render(session, found, period=now, now=now, force=True)


def _resync(herald: Herald) -> None:
    """This process's scheduler follows at once; other replicas within a minute."""
    if herald.digest_jobs is not None:
        herald.digest_jobs.sync()


def _say(herald: Herald, text: str) -> Reply:
    return Reply(herald.renderer.message("notice.json.j2", text=text, suggestions=[]))
