"""Launch insights for the listeners: one unit of work each, in its own session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.core.processes import engine_for, worker_process
from bot.directory.names import resolve_team
from bot.insights.figures import Insights, MonthFigures, insights, monthly
from bot.insights.scope import Period, Scope

DEFAULT_DAYS = 90
CHART_MONTHS = 6
T = TypeVar("T")


def period_between(since: date | None, until: date | None, *, today: date) -> Period:
    """The days asked for, both included; by default the 90 days up to today (or up to `until`)."""
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise InvalidInput(f"`since:{since}` is after `until:{until}`: give the first day, then the last.")
    return Period(since, until)


def scope_for(herald: Herald, *, team: str | None, owner_id: str | None) -> Scope:
    """The launches asked about; a team must exist (a close name is suggested)."""
    if team is None:
        return Scope(owner_id=owner_id)
    with session_scope(herald.engine) as session:
        found = resolve_team(session, team)
    return Scope(team_key=found.key, team_name=found.name, owner_id=owner_id)


async def figures(herald: Herald, *, scope: Scope, period: Period) -> Insights:
    """Worked out in the worker process: a period's history is CPU work the acks must not wait behind."""
    return await _in_worker(partial(_figures, herald.settings.database_url, scope=scope, period=period,
                                    today=herald.today(), tz=herald.settings.zone))


async def chart_months(herald: Herald, *, scope: Scope) -> list[MonthFigures]:
    """The chart's months: the last six, this one so far included (in the worker process too)."""
    return await _in_worker(partial(_chart_months, herald.settings.database_url, scope=scope,
                                    today=herald.today(), tz=herald.settings.zone))


async def _in_worker(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(worker_process(), work)


def _figures(database_url: str, *, scope: Scope, period: Period, today: date, tz: ZoneInfo) -> Insights:
    with session_scope(engine_for(database_url)) as session:
        return insights(session, period=period, today=today, tz=tz, where=scope.conditions())


def _chart_months(database_url: str, *, scope: Scope, today: date, tz: ZoneInfo) -> list[MonthFigures]:
    with session_scope(engine_for(database_url)) as session:
        return monthly(session, months=CHART_MONTHS, today=today, tz=tz, filters=scope.conditions())


def chart_title(scope: Scope) -> str:
    """What the chart is of: on time and delay by month, for whom."""
    whose = " · ".join(part for part in (scope.team_name, scope.owner_id and "one owner's launches") if part)
    return f"On time and median delay by month{f' — {whose}' if whose else ''}"
