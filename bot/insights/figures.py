"""Delivery figures of launches: are we getting better at shipping on time? (Definitions: README, "Launch insights".)

A fixed number of statements whatever the number of launches: the facts of the launches that may have
launched in the periods asked about (two, see facts.py), and one aggregate of the active launches now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean, median
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from bot.insights.facts import LaunchFacts, launch_facts
from bot.insights.scope import Period, may_have_launched_in
from bot.launches.models import Launch, Risk, Stage

TOP_SLIPPERS = 5
TIMED_STAGES = [stage.value for stage in Stage if stage.is_active]  # stages a launch enters and leaves


@dataclass(frozen=True)
class MonthFigures:
    """One month of the chart: launches launched in it, how many on time, and their median delay in days."""

    month: date  # the first day of the month
    launched: int
    on_time: int
    median_delay: float | None
    no_target: int = 0  # of `launched`, those that never had a target: neither on time nor late

    @property
    def on_time_rate(self) -> float | None:
        targeted = self.launched - self.no_target
        return self.on_time / targeted if targeted else None


@dataclass(frozen=True)
class PeriodFigures:
    """The launches launched in a period, as figures."""

    period: Period
    launched: int
    targeted: int  # launched with a committed target: what on time is counted of
    on_time: int
    median_delay: float | None
    average_delay: float | None
    slipped: int
    slip_days: int
    median_slip_days: float | None
    top_slippers: list[LaunchFacts] = field(default_factory=list)
    stage_days: dict[str, float] = field(default_factory=dict)  # median days in each stage, in stage order

    @property
    def no_target(self) -> int:
        return self.launched - self.targeted

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.targeted if self.targeted else None


@dataclass(frozen=True)
class NowFigures:
    """Active launches as of now (not launched, not cancelled)."""

    active: int
    at_risk: int
    blocked: int
    overdue: int  # its target has passed


@dataclass(frozen=True)
class Insights:
    current: PeriodFigures
    previous: PeriodFigures  # the period of the same length just before, for ▲ and ▼
    now: NowFigures


def insights(session: Session, *, period: Period, today: date, tz: ZoneInfo, where: Sequence = ()) -> Insights:
    """The figures of `period` and of the one before it, for the launches `where` lets through."""
    previous = period.before()
    both = Period(previous.since, period.until)
    facts = launch_facts(session, tz=tz, where=[*where, may_have_launched_in(both, tz)])
    return Insights(period_figures(facts, period), period_figures(facts, previous), now_figures(session, today, where))


def monthly(session: Session, *, months: int, today: date, tz: ZoneInfo, filters: Sequence = ()) -> list[MonthFigures]:
    """The last `months` calendar months up to this one (so far), oldest first: the chart's points."""
    starts = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    periods = [Period(start, _month_start(start, -1) - timedelta(days=1)) for start in starts]
    facts = launch_facts(session, tz=tz, where=[*filters, may_have_launched_in(Period(starts[0], today), tz)])
    return [_month(facts, period) for period in periods]


def period_figures(facts: Sequence[LaunchFacts], period: Period) -> PeriodFigures:
    launched = [f for f in facts if period.covers(f.launched_on)]
    delays = [f.delay for f in launched if f.delay is not None]
    slipped = [f for f in launched if f.slips]
    by_slip = sorted(slipped, key=lambda f: (-f.slip_days, f.name))
    stays = {stage: [f.days_in_stage[stage] for f in launched if stage in f.days_in_stage] for stage in TIMED_STAGES}
    return PeriodFigures(
        period=period,
        launched=len(launched),
        targeted=len(delays),
        on_time=sum(delay <= 0 for delay in delays),
        median_delay=_median(delays),
        average_delay=fmean(delays) if delays else None,
        slipped=len(slipped),
        slip_days=sum(f.slip_days for f in slipped),
        median_slip_days=_median([f.slip_days for f in slipped]),
        top_slippers=by_slip[:TOP_SLIPPERS],
        stage_days={stage: median(days) for stage, days in stays.items() if days},
    )


def now_figures(session: Session, today: date, where: Sequence = ()) -> NowFigures:
    """One aggregate over the active launches."""
    def counted(condition) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    active, at_risk, blocked, overdue = session.exec(
        select(func.count(), counted(Launch.risk == Risk.AT_RISK), counted(Launch.risk == Risk.BLOCKED),
               counted(col(Launch.target_date) < today))
        .where(col(Launch.stage).in_([stage for stage in Stage if stage.is_active]), *where)
    ).one()
    return NowFigures(active, at_risk, blocked, overdue)


def _month(facts: Sequence[LaunchFacts], period: Period) -> MonthFigures:
    figures = period_figures(facts, period)
    return MonthFigures(period.since, figures.launched, figures.on_time, figures.median_delay, figures.no_target)


def _month_start(day: date, back: int) -> date:
    """The first day of the month `back` months before `day`'s (negative: after)."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def _median(values: Sequence[float]) -> float | None:
    return median(values) if values else None
