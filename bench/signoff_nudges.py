"""A sign-off nudge run over 50 and then 500 launches with 5 sign-off requests each: statements and time per run.

Each launch asks 5 of 60 people (in four time zones where it is between 10:00 and 18:00 at the run's NOW) to
sign off; most launches are due in 5 or 2 days, some later (waiting, listed, not due). A run is
NudgeRunner.run as the worker calls it, with Slack replaced by an in-process messenger and zone lookup (this
measures Herald's side: the store and the rendering). Before each run the claims and nudge history rows of the
previous one are removed, so every run nudges everyone again. The statements a run executes must be the
same for 50 and 500 launches; the time is the median of the runs.

    python -m bench.signoff_nudges [--database-url postgresql://…] [--seed 7]
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from bench.cli import parser
from bench.measure import StatementCounter, Stopwatch
from bot.core.db import make_engine
from bot.core.settings import load_settings
from bot.launches.models import Launch, LaunchChange
from bot.launches.signoff_models import SignoffAsk, SignoffNudge, SignoffRequest
from bot.runtime.app import make_herald
from bot.signoffs.nudges import NUDGE_FIELD, NudgeRunner
from tests.support.factories import add_launch
from tests.support.harness import bench_store

NOW = datetime(2026, 3, 18, 10, 30, tzinfo=UTC)  # a Wednesday
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Helsinki"]
PEOPLE = [f"U0P{n:03}" for n in range(60)]
SIZES = (50, 500)
REQUESTS = 5
RUNS = 5


class InProcessSlack:
    """Posts and zones answered at once: a nudge run's own cost, without the network."""

    def __init__(self) -> None:
        self.posted = 0
        self.zone_of = {person: ZoneInfo(ZONES[i % len(ZONES)]) for i, person in enumerate(PEOPLE)}

    async def post(self, channel: str, message: dict, **_options) -> str:
        self.posted += 1
        return f"{self.posted}.000000"

    async def zones(self, user_ids: Iterable[str]) -> dict[str, ZoneInfo]:
        return {u: self.zone_of[u] for u in user_ids if u in self.zone_of}


def grow(engine, first: int, last: int, rng: random.Random) -> None:
    """Launches `first` to `last` - 1, each asking 5 people; 9 in 10 due in 5 or 2 days, the rest in 10."""
    today = NOW.date()
    with Session(engine) as session:
        launches = [add_launch(session, f"launch-{n:04}", target=_target(today, rng).isoformat())
                    for n in range(first, last)]
        requests = [{"launch_id": launch.id, "who": person, "label": f"@{person.lower()}", "requested_by": "U0ANN"}
                    for launch in launches for person in rng.sample(PEOPLE, REQUESTS)]
        session.execute(insert(SignoffRequest), requests)
        session.commit()
        ids = session.exec(select(SignoffRequest.id, SignoffRequest.who).join(Launch).where(
            Launch.name.in_([launch.name for launch in launches]))).all()
        session.execute(insert(SignoffAsk), [{"request_id": i, "recipient": who} for i, who in ids])
        session.commit()


def _target(today: date, rng: random.Random) -> date:
    return today + timedelta(days=rng.choice([5, 2] * 9 + [10]))


def forget_nudges(engine) -> None:
    with Session(engine) as session:
        session.execute(delete(SignoffNudge))
        session.execute(delete(LaunchChange).where(LaunchChange.field == NUDGE_FIELD))
        session.commit()


def measure(herald, counter: StatementCounter, slack: InProcessSlack) -> tuple[int, float, int]:
    """Statements of one run (the same every run), the median run's milliseconds, and people nudged."""
    runner = NudgeRunner(herald, zones=slack, messenger=slack)
    statements, times, sent = set(), [], 0
    for _ in range(RUNS):
        forget_nudges(herald.engine)
        with counter.counting() as tally, Stopwatch() as watch:
            sent = asyncio.run(runner.run(NOW)).sent
        statements.add(tally.statements)
        times.append(watch.ms)
    [count] = statements
    return count, statistics.median(times), sent


def main() -> None:
    args = parser(__doc__, seed="targets and whom each launch asks").parse_args()
    rng = random.Random(args.seed)
    with bench_store(args.database_url) as (url, store):
        settings = load_settings({"DATABASE_URL": url, "HERALD_TIMEZONE": "UTC"})
        engine = make_engine(settings.database_url)
        counter = StatementCounter(engine)
        slack = InProcessSlack()
        herald = make_herald(settings, engine, clock=lambda: NOW)
        print(f"Sign-off nudge runs on {store}, {REQUESTS} requests a launch, {len(PEOPLE)} people")
        figures, grown = [], 0
        for size in SIZES:
            grow(engine, grown, size, rng)
            grown = size
            statements, ms, sent = measure(herald, counter, slack)
            figures.append(statements)
            print(f"  {size:>4} launches, {size * REQUESTS:>5} requests: {sent} people nudged, "
                  f"{statements} statements, {ms:.1f} ms a run (median of {RUNS})")
        verdict = "the same" if len(set(figures)) == 1 else "NOT the same"
        print(f"Statements per run for {' and '.join(map(str, SIZES))} launches: {verdict}")
        engine.dispose()
        if len(set(figures)) != 1:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
