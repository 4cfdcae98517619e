"""`/launch insights`: delivery figures, worked out after the ack (they read a period's history), then a chart.

The options are checked before the ack, so a mistake is answered at once; the figures replace the
"working out" answer through `respond` (the command's response_url), and the chart of the last six months
is drawn in the worker process and uploaded after them, to the channel with `--share`, else to the person by DM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.core.errors import HeraldError, InvalidInput
from bot.core.herald import Herald
from bot.core.slack_ids import USER_MENTION
from bot.handlers.support.charts import share_chart
from bot.handlers.support.command_text import Invocation, Reply, text_of
from bot.handlers.support.replies import error_message, notice, unexpected_error
from bot.insights import service
from bot.insights.scope import Period, Scope

USAGE = "`/launch insights [team:<team>] [owner:@person] [since:YYYY-MM-DD] [until:YYYY-MM-DD]`"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ME = "me"
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Asked:
    """The options of one `/launch insights`, as plain values."""

    team: str | None = None
    owner_id: str | None = None
    since: date | None = None
    until: date | None = None


def insights(herald: Herald, call: Invocation) -> Reply:
    asked = parse_options(call.words, user_id=call.user_id)
    period = service.period_between(asked.since, asked.until, today=herald.today())
    scope = service.scope_for(herald, team=asked.team, owner_id=asked.owner_id)
    working = notice(herald.renderer, "Working out the figures…")
    return Reply(working, after=lambda: _answer(herald, call, scope, period))


def parse_options(words: list[str], *, user_id: str) -> Asked:
    """`team:payments owner:@ann since:2026-01-01 until:2026-03-31`, each at most once, in any order."""
    given: dict[str, str] = {}
    for word in words:
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon or name not in ("team", "owner", "since", "until") or not value:
            raise InvalidInput(f"I don't understand “{text_of([word])}”. Use {USAGE}.")
        if name in given:
            raise InvalidInput(f"Give `{name}:` once. Use {USAGE}.")
        given[name] = value
    return Asked(team=text_of([given["team"]]) if "team" in given else None,
                 owner_id=_owner(given["owner"], user_id) if "owner" in given else None,
                 since=_day(given, "since"), until=_day(given, "until"))


def _owner(value: str, user_id: str) -> str:
    if value.lower() == ME:
        return user_id
    if found := USER_MENTION.fullmatch(value):
        return found.group(1)
    raise InvalidInput(f"I don't know a Slack user “{text_of([value])}”. Mention them with @ so Slack links the "
                       "name: `owner:@ann`, or `owner:me`.")


def _day(given: dict[str, str], name: str) -> date | None:
    if name not in given:
        return None
    typed = given[name]
    try:
        if not ISO_DAY.fullmatch(typed):
            raise ValueError(typed)
        day = date.fromisoformat(typed)
    except ValueError:
        raise InvalidInput(f"“{text_of([typed])}” is not a date: use `{name}:YYYY-MM-DD`, like "
                           f"`{name}:2026-01-31`.") from None
    if not FIRST_DAY <= day <= LAST_DAY:  # a period and the one before it must stay inside the calendar
        raise InvalidInput(f"`{name}:{typed}` is out of range: give a day from {FIRST_DAY} to {LAST_DAY}.")
    return day


async def _answer(herald: Herald, call: Invocation, scope: Scope, period: Period) -> None:
    """The figures in place of "working out"; then the chart."""
    try:
        found = await service.figures(herald, scope=scope, period=period)
        message = herald.renderer.message("insights/insights.json.j2", insights=found, scope=scope,
                                          zone=herald.settings.timezone)
    except HeraldError as error:
        message = error_message(herald.renderer, error)
    except Exception:  # noqa: BLE001 -- answered with a reference, the trace logged (as answers_errors does)
        message = unexpected_error()
    await call.respond(replace_original=True, response_type="in_channel" if call.share else "ephemeral", **message)
    await _share_chart(herald, call, scope)


async def _share_chart(herald: Herald, call: Invocation, scope: Scope) -> None:
    """The months are read, and the chart drawn, in the worker process: never on the event loop."""
    months = await service.chart_months(herald, scope=scope)
    if not any(month.launched for month in months):
        return  # nothing launched in six months: an empty chart says nothing the figures did not
    await share_chart(herald, months=months, title=service.chart_title(scope),
                      channel_or_user=call.channel_id if call.share else call.user_id, asked_by=call.user_id)
