"""Ack latency of `/launch status <name>` while Herald's own work runs in the same process: idle, and under load.

What it measures
    The round trip Slack (and so the user) waits for, as bench/ack_latency.py measures it: a signed
    slash-command POST to Herald's real app (`make_web_app(create_app(herald), herald)`, over HTTP on
    127.0.0.1) until the whole ack is read, one request at a time, names picked at random (seeded)
    among the stored launches, after a few excluded warm-up requests. Two phases, one store, one
    process, one event loop:

    * idle: nothing else runs. This is the floor.
    * loaded: what `herald serve` runs beside the listeners (bot.runtime.workers), built the same way:
        - a release published through the real webhook (POST /webhooks/release) to --channels (500)
          subscribed channels, sent by the real DeliveryWorker against bench/rate_limited_slack's fake
          (Slack's limits: one post a second in a channel, --ceiling a second in the workspace; no
          random 429s, so that Bolt's auth.test is never refused);
        - 20 digests typed as people type them (bench/world.digest_subscriptions), all due this minute
          in their own zones, each run by DigestRunner.run as its scheduler job runs it, all at once;
        - 20 digests whose cron never comes (30 February, 31 April, ...), written straight into the
          table as rows stored before such schedules were refused, while the DigestScheduler starts
          and then ticks (table sync + catch-up) every --tick seconds instead of every minute.
      Requests go from the start of the load until every announcement is posted and every digest has
      run (or --timeout).

    The store is migrated and bulk-filled with the benchmarks' shared world (bench/world.py) at the
    real "now": --launches launches (5,000) with checklists and history, the directory and releases.
    Default store: a temporary SQLite file; with --database-url postgresql://..., a scratch database
    on that server, dropped after.

    Printed: what the load did (announcements posted and how long it took, digest outcomes, ticks and
    their length, digest jobs), then n / p50 / p99 of both phases side by side and loaded / idle.
    Nothing is asserted; the exit status is 0 whatever the figures.

How to run (from the repository root)
    .venv/bin/python bench/ack_under_load.py [--database-url URL] [--requests N] [--launches N]
                                             [--channels N] [--ceiling N] [--tick S] [--timeout S]

    e.g. .venv/bin/python bench/ack_under_load.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

# ruff: noqa: E402  (the repository root goes on sys.path before bench, bot and tests are imported)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root, not bench/

import asyncio
import dataclasses
import gc
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
import sqlalchemy
from sqlalchemy import Engine

from bench import cli
from bench.ack_latency import WARMUP, Scenario, herald_answer, run_requests
from bench.measure import Stopwatch, machine, p50_p99
from bench.rate_limited_slack import RateLimitedSlack
from bench.serving import BOT_TOKEN, TEAM_ID, herald_settings, store_engine
from bench.world import World, build_world, digest_subscriptions, row_counts
from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.digests.models import Digest
from bot.digests.runner import DigestRunner
from bot.digests.scheduler import DigestScheduler
from bot.releases.recording import subscribe
from bot.runtime.app import create_app, make_herald
from bot.runtime.server import SLACK_PATH, make_web_app
from bot.runtime.workers import outbox_worker, workers_messenger
from tests.support.harness import bench_store, served

LAUNCHES, CHANNELS, CEILING, DIGESTS = 5_000, 500, 50, 20
COMPONENT, WEBHOOK_TOKEN = "billing", "bench-webhook-token"
# Dates no calendar has, as a person might have typed them before Herald refused them.
NEVER = ("0 0 30 2 *", "0 9 31 4 *", "30 8 31 6 *", "0 17 31 9 *", "0 9 31 11 *", "0 9 30 2 mon-fri")
NEVER_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")


@dataclass
class Plan:
    """What the loaded phase runs: the digests due now, and the channels the release goes to."""

    digest_ids: list[int]
    fan_channels: list[str]


@dataclass
class Load:
    """What the loaded phase did."""

    webhook_status: int = 0
    posted: int = 0
    seconds: float = 0.0
    timed_out: bool = False
    digests: Counter[str] = field(default_factory=Counter)
    ticks: list[float] = field(default_factory=list)  # ms each
    digest_jobs: int = 0


def prepare(engine: Engine, world: World, slack: RateLimitedSlack, *, channels: int, seed: int) -> Plan:
    """The digests due this minute, the never-coming rows, and the release's subscribers (all untimed)."""
    digests = digest_subscriptions(engine, world, count=DIGESTS, seed=seed)
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    table = Digest.__table__
    with engine.begin() as connection:
        for digest in digests:  # daily at this minute in the digest's own zone: due when the load starts
            local = minute.astimezone(ZoneInfo(digest.timezone))
            connection.execute(sqlalchemy.update(table).where(table.c.id == digest.id)
                               .values(cron=f"{local.minute} {local.hour} * * *"))  # fmt: skip
        connection.execute(sqlalchemy.insert(table), [
            {"channel_id": f"C0NEVER{n:02d}", "personal": False, "cron": NEVER[n % len(NEVER)],
             "timezone": NEVER_ZONES[n % len(NEVER_ZONES)], "filters": {}, "always": True, "created_by": "U0ANN",
             "created_at": world.now}
            for n in range(DIGESTS)
        ])  # fmt: skip
    for digest in digests:
        if digest.personal:
            slack.add_user(digest.channel_id, digest.channel_id.lower())
        else:
            slack.add_channel(digest.channel_id, digest.channel_id.lower())
    fan_channels = [f"C0FAN{n:05d}" for n in range(channels)]
    with session_scope(engine) as session:
        for channel in fan_channels:
            slack.add_channel(channel, channel.lower())
            subscribe(session, channel_id=channel, spec=COMPONENT, prereleases=False, actor_id="U0ANN",
                      as_typed=True)
    world.counts = row_counts(engine)
    return Plan([d.id for d in digests], fan_channels)


async def load(herald: Herald, session: aiohttp.ClientSession, base_url: str, slack: RateLimitedSlack, plan: Plan,
               *, tick: float, timeout: float) -> Load:  # fmt: skip
    """Publish the release, run the due digests and tick the scheduler, as `herald serve` would, until done."""
    found = Load()
    messenger = workers_messenger(herald)  # as bot.runtime.workers.running builds them
    worker = outbox_worker(herald, messenger)
    runner = DigestRunner(herald, messenger=messenger)
    jobs = DigestScheduler(herald, runner)

    def delivered() -> int:
        return sum(len(slack.messages.get(channel, [])) for channel in plan.fan_channels)

    started = time.perf_counter()
    with Stopwatch() as watch:
        sending = asyncio.create_task(worker.run_forever())
        digests = asyncio.gather(*(runner.run(digest_id) for digest_id in plan.digest_ids))
        async with session.post(f"{base_url}/webhooks/release", headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
                                json={"component": COMPONENT, "version": "1.4.0", "title": "Invoices in EUR",
                                      "notes": "## What changed\n- Invoices in **EUR**"}) as answer:  # fmt: skip
            found.webhook_status = answer.status
        await jobs.start()
        try:
            while delivered() < len(plan.fan_channels) or not digests.done():
                if time.perf_counter() - started > timeout:
                    found.timed_out = True
                    digests.cancel()
                    break
                await asyncio.sleep(tick)
                with Stopwatch() as ticking:
                    await jobs.tick()
                found.ticks.append(ticking.ms)
            found.digest_jobs = len(jobs.job_ids())
        finally:
            jobs.stop()
            worker.stop()
            await sending
    found.seconds, found.posted = watch.seconds, delivered()
    found.digests = Counter({"cancelled": len(plan.digest_ids)}) if digests.cancelled() else Counter(await digests)
    return found


async def measure(engine: Engine, database_url: str, world: World, *, channels: int, ceiling: int, requests: int,
                  tick: float, timeout: float, seed: int) -> tuple[Scenario, Scenario, Load]:  # fmt: skip
    slack = RateLimitedSlack(ceiling=ceiling, per_channel=1.0, rate_429=0.0, seed=seed, bot_token=BOT_TOKEN,
                             team_id=TEAM_ID)  # fmt: skip
    await slack.start()
    try:
        plan = prepare(engine, world, slack, channels=channels, seed=seed + 1)
        settings = dataclasses.replace(herald_settings(database_url, slack.base_url), webhook_token=WEBHOOK_TOKEN)
        herald = make_herald(settings, engine)  # the real clock: the digests are due now
        async with served(make_web_app(create_app(herald), herald)) as base_url, aiohttp.ClientSession() as session:
            pick = random.Random(seed + 2)

            def names(count: int) -> list[str]:
                return [f"status {pick.choice(world.launch_names)}" for _ in range(count)]

            check = herald_answer(lambda text: text.removeprefix("status "))
            idle = Scenario("idle (the floor)", base_url + SLACK_PATH, names, check)
            loaded = Scenario("loaded", base_url + SLACK_PATH, names, check)
            response_url = slack.response_url("command")
            await run_requests(session, response_url, idle, WARMUP, record=False)
            gc.collect()
            await run_requests(session, response_url, idle, requests)
            gc.collect()
            working = asyncio.create_task(load(herald, session, base_url, slack, plan, tick=tick, timeout=timeout))
            while not working.done():
                await run_requests(session, response_url, loaded, 1)
            found = await working
            await herald.background.drain()
    finally:
        await slack.stop()
        engine.dispose()
    return idle, loaded, found


def report(idle: Scenario, loaded: Scenario, found: Load, world: World, *, store_label: str, channels: int,
           ceiling: int, tick: float, total: float) -> None:  # fmt: skip
    counts = world.counts
    print(f"Herald ack latency under load, {store_label}; {machine()}")
    print(f"rows: launch {counts['launch']:,} ({world.active:,} active), launch_change {counts['launch_change']:,}, "
          f"digest {counts['digest']} ({DIGESTS} due now, {DIGESTS} whose cron never comes)")  # fmt: skip
    print(f"load, in this process and loop, {found.seconds:.1f} s{'  (TIMED OUT)' if found.timed_out else ''}:")
    print(f"  release via POST /webhooks/release (HTTP {found.webhook_status}) to {channels} channels: "
          f"{found.posted} posted by the DeliveryWorker (fake Slack: 1/s a channel, {ceiling}/s workspace)")
    print(f"  {DIGESTS} digests due now, DigestRunner.run each: {dict(sorted(found.digests.items()))}")
    if found.ticks:
        p50, _ = p50_p99(found.ticks)
        print(f"  DigestScheduler: start, then {len(found.ticks)} ticks (sync + catch-up) every {tick:g} s, "
              f"p50 {p50:.1f} ms, longest {max(found.ticks):.1f} ms; {found.digest_jobs} digest jobs for "
              f"{2 * DIGESTS} rows")  # fmt: skip
    print()
    (idle_p50, idle_p99), (p50, p99) = p50_p99(idle.samples), p50_p99(loaded.samples)
    width = len("/launch status <name>")
    print(f"{'/launch status <name>':<{width}}  {'n':>5}  {'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  errors")
    for s, (a, b) in ((idle, (idle_p50, idle_p99)), (loaded, (p50, p99))):
        print(f"{s.label:<{width}}  {len(s.samples):>5}  {a:>7.2f}  {b:>7.2f}  {max(s.samples):>7.2f}  {len(s.errors)}")
    print(f"{'loaded / idle':<{width}}  {'':>5}  {p50 / idle_p50:>6.2f}x  {p99 / idle_p99:>6.2f}x")
    for s in (idle, loaded):
        for problem in s.errors[:3]:
            print(f"error in {s.label}: {problem}")
    print(f"\ntotal run time {total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, seed="the data, the digests and the names asked for")
    parser.add_argument("--requests", type=int, default=300, help="measured idle requests (default 300)")
    parser.add_argument("--launches", type=int, default=LAUNCHES, help=f"launches in the store ({LAUNCHES:,})")
    parser.add_argument("--channels", type=int, default=CHANNELS, help=f"channels the release goes to ({CHANNELS})")
    parser.add_argument("--ceiling", type=int, default=CEILING,
                        help=f"the fake's chat.postMessage limit a second across the workspace ({CEILING})")
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between scheduler ticks (default 1)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on the load after this (300 s)")
    args = parser.parse_args(argv)
    if args.requests < 2 or min(args.launches, args.channels, args.ceiling) < 1 or args.tick <= 0:
        parser.error("--requests must be at least 2, --launches, --channels and --ceiling at least 1, --tick > 0")
    with bench_store(args.database_url) as (url, label), Stopwatch() as total:
        engine = store_engine(url)
        world = build_world(engine, launches=args.launches, seed=args.seed, now=datetime.now(UTC))
        idle, loaded, found = asyncio.run(measure(
            engine, url, world, channels=args.channels, ceiling=args.ceiling, requests=args.requests, tick=args.tick,
            timeout=args.timeout, seed=args.seed))  # fmt: skip
    report(idle, loaded, found, world, store_label=label, channels=args.channels, ceiling=args.ceiling,
           tick=args.tick, total=total.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
