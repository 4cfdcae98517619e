"""Setting up digests: reading the options people type, and one unit of work each for the listeners to call."""

from __future__ import annotations

from sqlmodel import Session, delete, select

from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.matching import closest, either, slugify
from bot.core.render import Message
from bot.core.roles import Roles
from bot.digests.models import Digest, DigestRun
from bot.digests.runner import render
from bot.digests.scheduler import digests_changed
from bot.digests.schedules import Schedule, parse_schedule
from bot.directory.names import TEAM, resolve_team
from bot.launches.models import Stage
from bot.releases.names import COMPONENT, TAG, resolve_component, resolve_tag

FILTERS = ("team", "component", "tag", "stage")
ALWAYS = "always"
NO_INSIGHTS = "-insights"


def parse_options(words: list[str]) -> tuple[dict[str, str], bool, bool]:
    """Filters like `team:payments stage:beta`, as typed (slugs; the names in them are resolved by
    `resolve_filters`); `always` (post even when empty); and whether a weekly digest says how we're shipping
    (`-insights`: not)."""
    filters: dict[str, str] = {}
    always, insights = False, True
    for word in words:
        name, _, value = word.partition(":")
        if word.lower() == ALWAYS:
            always = True
        elif word.lower() == NO_INSIGHTS:
            insights = False
        elif name.lower() in FILTERS and value:
            filters[name.lower()] = value if name.lower() == "stage" else slugify(value)
        else:
            raise InvalidInput(f"I don't understand “{word}”. Filters: team:…, component:…, tag:…, stage:…; "
                               "or `always`, `-insights`.")
    if "stage" in filters and filters["stage"] not in set(Stage):
        close = closest(filters["stage"], {stage: stage.value for stage in Stage})
        hint = f" Did you mean {either(close)}?" if close else ""
        raise InvalidInput(f"“{filters['stage']}” is not a stage.{hint} Stages: {', '.join(Stage)}.")
    return filters, always, insights


def resolve_filters(session: Session, filters: dict[str, str], *,
                    keep: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Filters under the keys Herald knows their names by, and the filters naming nothing known yet.

    A team must exist. A component or tag may be new (a digest set up before a repository's first release);
    one like known names raises names.UnclearName, unless it is `keep`, the name the person chose as typed.
    """
    resolved, new = dict(filters), []
    if TEAM in filters:
        resolved[TEAM] = resolve_team(session, filters[TEAM]).key
    for kind, resolve in ((COMPONENT, resolve_component), (TAG, resolve_tag)):
        if kind in filters:
            found = resolve(session, filters[kind], as_typed=filters[kind] == keep)
            resolved[kind] = found.key
            if not found.known:
                new.append(f"{kind}:{filters[kind]}")
    return resolved, new


def set_digest(
    session: Session, *, channel_id: str, personal: bool, schedule: Schedule, filters: dict[str, str],
    always: bool, actor_id: str, roles: Roles = Roles(), insights: bool = True,
) -> Digest:
    """One digest per channel (or person): setting it again replaces the schedule, if it is yours to change."""
    digest = session.exec(select(Digest).where(Digest.channel_id == channel_id)).first()
    if digest is not None:
        roles.check_setter_or_admin(digest.created_by, actor_id, "this digest")
    digest = digest or Digest(channel_id=channel_id, cron=schedule.cron, timezone=schedule.timezone,
                              created_by=actor_id)
    digest.personal, digest.cron, digest.timezone = personal, schedule.cron, schedule.timezone
    digest.filters, digest.always, digest.insights = filters, always, insights
    session.add(digest)
    session.flush()
    return digest


def remove_digest(session: Session, *, channel_id: str, actor_id: str, roles: Roles, personal: bool = False) -> None:
    digest = session.exec(select(Digest).where(Digest.channel_id == channel_id)).first()
    if digest is None:
        raise InvalidInput("You have no digest to turn off." if personal else "There is no digest here to turn off.")
    roles.check_setter_or_admin(digest.created_by, actor_id, "this digest")
    session.exec(delete(DigestRun).where(DigestRun.digest_id == digest.id))
    session.delete(digest)


def digest_for(session: Session, channel_id: str, *, personal: bool = False) -> Digest:
    """The digest of a channel, or of a person (`personal`: the missing one is suggested as theirs, by DM)."""
    digest = session.exec(select(Digest).where(Digest.channel_id == channel_id)).first()
    if digest is None:
        raise InvalidInput("You have no digest yet. Start one with `/launch digest me daily 08:00`." if personal else
                           "There is no digest here yet. Start one with `/launch digest daily 09:00`.")
    return digest


def set_up(herald: Herald, *, where: str, personal: bool, words: list[str], actor_id: str,
           keep: str | None = None) -> tuple[Digest, list[str]]:
    """`daily 09:00 [zone] [filters] [always]` and the like, for a channel or a person; with the filters that
    name nothing known yet (see resolve_filters)."""
    schedule, rest = parse_schedule(words, default_timezone=herald.settings.timezone, now=herald.clock())
    filters, always, insights = parse_options(rest)
    with session_scope(herald.engine) as session:
        filters, new = resolve_filters(session, filters, keep=keep)
        digest = set_digest(session, channel_id=where, personal=personal, schedule=schedule, filters=filters,
                            always=always, actor_id=actor_id, roles=herald.roles, insights=insights)
    digests_changed(herald.engine)
    return digest, new


def turn_off(herald: Herald, *, where: str, actor_id: str, personal: bool = False) -> None:
    with session_scope(herald.engine) as session:
        remove_digest(session, channel_id=where, actor_id=actor_id, roles=herald.roles, personal=personal)
    digests_changed(herald.engine)


def preview(herald: Herald, *, where: str, personal: bool = False) -> Message | None:
    """What the next digest would say if it came now: everything since the last scheduled one."""
    now = herald.clock()
    with session_scope(herald.engine) as session:
        return render(herald, session, digest_for(session, where, personal=personal), period=now, force=True)
