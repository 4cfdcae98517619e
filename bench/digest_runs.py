"""Digests measured from the outside, for bench/digests.py: Herald's public functions called, timed and counted.

A digest is built as DigestRunner.run builds it, in a fresh Session, for its newest period at the fixed
NOW: bot.digests.runner.render(herald, session, digest, period=...) is timed whole, its SQL statements
and their time counted (bench.measure.StatementCounter, SQLAlchemy engine events). Then, in another fresh
Session, bot.digests.content.content(session, digest, since=..., until=..., today=...) is called on its own,
timed and counted, which gives what the digest is about (launches, changes, sections) and splits the time:
SQL, the rest of content() (rows -> ORM objects), and render() minus content() (the template, the Block
Kit fit, the schedule). Nothing of Herald is wrapped or replaced.
"""

from __future__ import annotations

import gc
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlmodel import Session, col, select

from bench.measure import StatementCounter, Stopwatch, Tally, counting_loads
from bench.world import World
from bot.core.db import make_engine
from bot.core.render import Message
from bot.core.settings import load_settings
from bot.digests.content import content
from bot.digests.models import Digest
from bot.digests.runner import DigestRunner, render
from bot.digests.schedules import schedule_of
from bot.directory.entries import gaps
from bot.directory.models import Component, Contact, Team
from bot.launches.models import Launch, LaunchChange
from bot.releases.models import Release
from bot.runtime.app import make_herald

NOW = datetime(2026, 3, 18, 10, 30, tzinfo=timezone.utc)  # a Wednesday: every digest's "now"
REPEATS = 5  # renders per digest in the scaling comparison, and of gaps() (the median is shown)
LOADED = (Launch, LaunchChange, Release, Component, Contact, Team)  # ORM objects counted in the comparison
BOT_TOKEN = "xoxb-bench-token"


@dataclass
class Sample:
    """One digest built once."""

    digest_id: int
    label: str
    kind: str  # its filters: none, team, personal+stage, ...
    cadence: str
    seconds: float  # render()
    statements: int  # render()
    sql: float  # seconds executing render()'s statements
    content_seconds: float  # content() alone
    content_statements: int
    launches: int  # launches in it: changed, at risk or coming up
    changes: int
    sections: dict[str, int]
    posted: bool  # render() gave a message (an empty digest without `always` gives none)
    truncated: bool  # a section was cut at Slack's 3,000 characters
    loads: Counter[str] = field(default_factory=Counter)


def kind_of(digest: Digest) -> str:
    parts = (["personal"] if digest.personal else []) + sorted(digest.filters)
    return "+".join(parts) or "none"


def cadence_of(digest: Digest) -> str:
    dow = digest.cron.split()[4]
    if dow == "*":
        return "daily"
    if dow in ("mon-fri", "1-5"):
        return "weekdays"
    return "weekly" if dow in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") else "cron"


class DigestMeter:
    """Herald on one store (its clock stopped at NOW) and a statement counter on its engine."""

    def __init__(self, url: str, *, slack_api_url: str | None = None) -> None:
        self.url = url
        environment = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": BOT_TOKEN}
        settings = load_settings(environment | ({"SLACK_API_URL": slack_api_url} if slack_api_url else {}))
        self.engine = make_engine(settings.database_url)
        self.counter = StatementCounter(self.engine)
        self.herald = make_herald(settings, self.engine, clock=lambda: NOW)

    def render(self, digest: Digest, tally: Tally | None = None) -> tuple[Message | None, float]:
        """render() for the digest's newest period at NOW in a fresh Session (loading the digest is not counted)."""
        period = schedule_of(digest).last_fire(NOW)
        with Session(self.engine, expire_on_commit=False) as session:
            if digest.id is not None:
                digest = session.get(Digest, digest.id)  # as DigestRunner.run loads it
            with self.counter.counting(tally), Stopwatch() as watch:
                message = render(self.herald, session, digest, period=period)
        return message, watch.seconds

    def measure(self, digest: Digest, *, label: str = "") -> Sample:
        rendered = Tally()
        message, seconds = self.render(digest, rendered)
        period = schedule_of(digest).last_fire(NOW)
        since, today = schedule_of(digest).previous_fire(period), period.astimezone(ZoneInfo(digest.timezone)).date()
        with Session(self.engine) as session, self.counter.counting() as read, Stopwatch() as watch:
            found = content(session, digest, since=since, until=period, today=today)
        launch_ids = ({n.launch.id for n in found.changed.rows} | {x.id for x in found.at_risk.rows}
                      | {x.id for x in found.upcoming.rows})  # fmt: skip
        return Sample(
            digest_id=digest.id or 0, label=label, kind=kind_of(digest), cadence=cadence_of(digest), seconds=seconds,
            statements=rendered.statements, sql=rendered.sql_seconds, content_seconds=watch.seconds,
            content_statements=read.statements, launches=len(launch_ids),
            changes=sum(len(n.changes) for n in found.changed.rows),
            sections={"changed": found.changed.total, "at_risk": found.at_risk.total,
                      "upcoming": found.upcoming.total, "shipped": found.shipped.total, "gaps": found.gaps.total},
            posted=message is not None, truncated="(truncated)" in str(message or ""),
        )  # fmt: skip

    def loads(self, digest: Digest) -> Counter[str]:
        """ORM objects one more render loads (mapper "load" events; untimed, it costs)."""
        with counting_loads(Tally(), LOADED) as tally:
            self.render(digest)
        return tally.loads


# --------------------------------------------------------------------------- (a) every digest once


def _build_worker(job: tuple[str, list[int]]) -> tuple[list[Sample], float]:
    """One build worker (a forked process): its own engine, Herald and counter; builds its share of the digests."""
    url, ids = job
    meter = DigestMeter(url)
    try:
        with Session(meter.engine) as session:
            digests = list(session.exec(select(Digest).where(col(Digest.id).in_(ids)).order_by(Digest.id)))
        # Warm-up (template compile, statement cache, first connection) on a transient digest, excluded.
        meter.measure(Digest(channel_id="C0WARM", cron="0 9 * * *", timezone="UTC", created_by="U0", filters={}))
        gc.collect()
        with Stopwatch() as loop:
            samples = [meter.measure(d) for d in digests]
        return samples, loop.seconds
    finally:
        meter.engine.dispose()


def build_all(url: str, digests: list[Digest], workers: int) -> tuple[list[Sample], float, list[float]]:
    """Every digest once, split round-robin over `workers` forked processes (1: in this process).

    Returns the samples in id order, the wall time, and each worker's loop time. Dispose of the caller's
    engines first: no pooled connection may cross a fork.
    """
    ids = [d.id for d in digests]
    jobs = [(url, ids[i::workers]) for i in range(workers)]
    with Stopwatch() as wall:
        if workers == 1:
            results = [_build_worker(jobs[0])]
        else:
            with get_context("fork").Pool(workers) as pool:
                results = pool.map(_build_worker, jobs)
    samples = sorted((s for part, _w in results for s in part), key=lambda s: s.digest_id)
    return samples, wall.seconds, [w for _part, w in results]


def gaps_cost(meter: DigestMeter) -> tuple[float, int, int]:
    """bot.directory.entries.gaps() on its own (every channel digest without stage: asks for gaps): median ms,
    components, gaps."""
    times, found, rows = [], [], 0
    for _ in range(REPEATS):
        with Session(meter.engine) as session:
            rows = session.exec(select(sqlalchemy.func.count()).select_from(Component)).one()
            with Stopwatch() as watch:
                found = gaps(session)
            times.append(watch.ms)
    return statistics.median(times), rows, len(found)


# --------------------------------------------------------------------------- (b) the same digests on two stores


def comparison_digests(world: World) -> list[tuple[str, Digest]]:
    """The same digest definitions for both stores (the directory and owners are the same in both)."""
    busiest_team = Counter(world.team_of[o] for o in world.owned.elements()).most_common(1)[0][0]
    busiest_owner = world.owned.most_common(1)[0][0]
    busy_component = next((k for k in sorted(world.component_keys) if k.startswith("payments-api")),
                          world.component_keys[0])  # fmt: skip

    def d(channel: str, cron: str, tz: str, filters: dict[str, str], personal: bool = False) -> Digest:
        return Digest(channel_id=channel, cron=cron, timezone=tz, filters=filters, personal=personal, created_by="U0")

    return [
        ("no filter, daily", d("C0X1", "0 9 * * *", "Europe/Berlin", {})),
        ("no filter, weekly", d("C0X2", "0 9 * * mon", "America/New_York", {})),
        (f"team:{busiest_team}, weekly", d("C0X3", "0 9 * * mon", "UTC", {"team": busiest_team})),
        (f"personal ({busiest_owner}), weekly", d(busiest_owner, "0 9 * * mon", "Europe/Berlin", {}, True)),
        ("stage:building, weekly", d("C0X4", "0 9 * * mon", "Asia/Tokyo", {"stage": "building"})),
        (f"component:{busy_component}, weekly", d("C0X5", "0 9 * * mon", "UTC", {"component": busy_component})),
        ("tag:payments, weekly", d("C0X6", "0 9 * * mon", "UTC", {"tag": "payments"})),
    ]


def compare(meter: DigestMeter, definitions: list[tuple[str, Digest]]) -> list[Sample]:
    """Each digest built REPEATS times; the median run, with the ORM objects one more render loads."""
    samples = []
    for label, digest in definitions:
        gc.collect()
        runs = [meter.measure(digest, label=label) for _ in range(REPEATS)]
        middle = sorted(runs, key=lambda s: s.seconds)[REPEATS // 2]
        middle.loads = meter.loads(digest)
        samples.append(middle)
    return samples


# --------------------------------------------------------------------------- (c) posting


@dataclass
class Posting:
    runs: list[tuple[str, float, int]]  # (outcome, seconds, statements)
    again: list[tuple[str, float, int]]
    stored: int
    stored_after_again: int
    wall: float


async def post(meter: DigestMeter, digests: list[Digest], slack) -> Posting:
    """DigestRunner.run for each digest at its period + 30 s (as the scheduler wakes it), posting to `slack`
    (a FakeSlack the meter's Herald talks to); then the same runs again, which must all be "claimed"."""
    runner = DigestRunner(meter.herald)
    await meter.herald.slack.auth_test()  # opens the client's HTTP session; excluded

    async def one(d: Digest) -> tuple[str, float, int]:
        now = schedule_of(d).last_fire(NOW) + timedelta(seconds=30)
        with meter.counter.counting() as tally, Stopwatch() as watch:
            outcome = await runner.run(d.id, now=now)
        return outcome, watch.seconds, tally.statements

    with Stopwatch() as wall:
        runs = [await one(d) for d in digests]
    stored = sum(len(m) for m in slack.messages.values())
    again = [await one(d) for d in digests]
    return Posting(runs, again, stored, sum(len(m) for m in slack.messages.values()), wall.seconds)
