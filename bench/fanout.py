"""Fan-out of one release to many channels through Herald's real outbox worker, against a rate-limited fake Slack.

What it measures
    One release (component "billing") is recorded with bot.releases.recording.record_release, which fans it out to
    --channels subscribed channels (default 500; each subscribed with bot.releases.recording.subscribe).
    Herald's real DeliveryWorker (bot.releases.outbox) then sends the announcements: `run_once()` is
    called in a loop until every delivery is sent or failed (when a round claims nothing because
    the remaining deliveries are backing off, the loop polls every 20 ms). The worker's client is
    Messenger(bot.slack.client.make_client(settings, retries=False)), exactly as Herald builds it for the outbox
    (no retry handlers: a 429 goes back to the outbox's queue). Its pace is Herald's default,
    Pace(per_channel=1.0): the workspace limit is unknown and learned (bot/releases/pacing.py), as it is
    with Slack, which does not publish it; --known-limit tells Herald the fake's ceiling instead,
    Pace(per_channel=1.0, per_second=--ceiling). Lease, concurrency (20), max_attempts are the worker's
    defaults unless --concurrency is given. The worker runs on the real clock.

    Total time runs from record_release (the release and its fan-out are committed) until no delivery
    is left unfinished (neither sent nor failed). The floor is the workspace ceiling's: channels / ceiling
    seconds (500 / 50 = 10 s). Judged: the ratio total / floor (target <= 1.15 for a ceiling up to 10/s,
    <= 1.1 above), the share of chat.postMessage calls answered 429 (target <= 10 %; the random ones
    alone are about --429-rate), and 0 duplicates, 0 missing.

The fake's limits (bench/rate_limited_slack.py, a subclass of tests.support.fake_slack.FakeSlack)
    Every Web API call is answered 429 at random with probability --429-rate (default 0.05; seeded by
    --seed). chat.postMessage is limited to one message a second per channel and --ceiling (default 50)
    messages in any sliding 1-second window across the workspace; only accepted messages count. Every
    429 is what Slack sends: a Retry-After header in whole seconds, nothing stored.

Printed
    totals (time, floor, ratio), 429s (random / per-channel limit / workspace limit) and their share of the
    chat.postMessage calls, each judged figure beside its target and verdict; the rate the pacer learned
    (when it learns) and the most posts Slack accepted from it in one second; duplicates and
    missing announcements per channel (read from the fake's stored messages by Herald's metadata,
    event_type herald_release_announcement with the release id; both must be 0), the outbox's final
    states, SQL statements the worker ran per delivery (SQLAlchemy "before_cursor_execute" on the
    engine, during the worker loop only), a sanity check of the fake (most messages seen in any
    1-s window, shortest gap in one channel), and one line per worker round (run_once) showing where
    the time went: a round ends only when all of its claimed deliveries are done, so the "tail" is
    the time after its last first-try post. Nothing is asserted; the exit status is 0.

How to run (from the repository root)
    .venv/bin/python bench/fanout.py [--channels 500] [--ceiling 50] [--known-limit] [--429-rate 0.05]
                                     [--database-url URL]

    e.g. .venv/bin/python bench/fanout.py --database-url postgresql://postgres@127.0.0.1:5432/test
    (a scratch database is created on that server, used and dropped).
"""

from __future__ import annotations

# ruff: noqa: E402, RUF100  (the repository root goes on sys.path before bench, bot and tests are imported)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root, not bench/

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from bench import cli
from bench.measure import StatementCounter, Tally, machine, verdict
from bench.rate_limited_slack import PER_CHANNEL, RANDOM, WORKSPACE, RateLimitedSlack
from bench.serving import BOT_TOKEN, TEAM_ID, herald_settings, store_engine
from bot.core.db import session_scope
from bot.releases.models import Delivery, DeliveryState
from bot.releases.outbox import METADATA_EVENT, DeliveryWorker
from bot.releases.pacing import Pace
from bot.releases.recording import ReleaseInput, record_release, subscribe
from bot.runtime.app import make_herald
from bot.slack.client import make_client
from bot.slack.messenger import Messenger
from tests.support.harness import bench_store

COMPONENT = "billing"
TARGET_429_SHARE = 0.10
POLL = 0.02  # seconds between rounds when nothing could be claimed yet


# --------------------------------------------------------------------------- the run


@dataclass
class Round:
    started: float
    ended: float
    claimed: int


@dataclass
class Result:
    total: float
    rounds: list[Round]
    statements: int
    fan_out_statements: int
    deliveries: int
    states: Counter[str]
    attempts: Counter[int]
    missing: list[str]
    duplicates: dict[str, int]
    foreign: int  # announcements whose delivery id is not this channel's delivery
    timed_out: bool
    worker: dict[str, Any] = field(default_factory=dict)


def target_ratio(ceiling: int) -> float:
    """Total / floor as targeted: within 15 % of the floor at 10 posts a second or less, within 10 % above."""
    return 1.15 if ceiling <= 10 else 1.1


async def bench(database_url: str, *, channels: int, ceiling: int, known_limit: bool, rate_429: float,
                seed_value: int, concurrency: int | None, timeout: float) -> tuple[Result, RateLimitedSlack]:  # fmt: skip
    engine = store_engine(database_url)
    counter = StatementCounter(engine)
    fan_out, worker_loop = Tally(), Tally()
    slack = RateLimitedSlack(ceiling=ceiling, per_channel=1.0, rate_429=rate_429, seed=seed_value,
                             bot_token=BOT_TOKEN, team_id=TEAM_ID)  # fmt: skip
    try:
        await slack.start()
        settings = herald_settings(database_url, slack.base_url)
        herald = make_herald(settings, engine)  # the real clock
        options: dict[str, Any] = {"pace": Pace(per_channel=1.0, per_second=float(ceiling) if known_limit else None)}
        if concurrency is not None:
            options["concurrency"] = concurrency
        worker = DeliveryWorker(herald, Messenger(make_client(settings, retries=False)), **options)  # as outbox_worker

        channel_ids = [f"C0FAN{n:05d}" for n in range(channels)]
        with session_scope(engine) as session:
            for channel in channel_ids:
                slack.add_channel(channel, channel.lower())
                subscribe(session, channel_id=channel, spec=COMPONENT, prereleases=False, actor_id="U0ANN",
                          as_typed=True)

        def unfinished() -> int:
            with Session(engine) as session:
                return len(session.exec(select(Delivery.id).where(
                    col(Delivery.state).not_in([DeliveryState.SENT, DeliveryState.FAILED]))).all())  # fmt: skip

        started = time.monotonic()
        with counter.counting(fan_out), session_scope(engine) as session:
            release = record_release(session, ReleaseInput(
                component=COMPONENT, version="1.4.0", source="cli", title="Invoices in EUR",
                notes="## What changed\n- Invoices in **EUR**\n- Faster exports", created_by="U0ANN",
            ), now=herald.clock())  # fmt: skip
        rounds: list[Round] = []
        timed_out = False
        while True:
            round_started = time.monotonic()
            with counter.counting(worker_loop):
                claimed = await worker.run_once()
            rounds.append(Round(round_started, time.monotonic(), claimed))
            if not unfinished():
                break
            if time.monotonic() - started > timeout:
                timed_out = True
                break
            if not claimed:
                await asyncio.sleep(POLL)
        total = time.monotonic() - started

        with Session(engine) as session:
            deliveries = session.exec(select(Delivery).where(Delivery.release_id == release.id)).all()
        by_channel = {d.channel_id: d.id for d in deliveries}
        missing, duplicates, foreign = [], {}, 0
        for channel in channel_ids:
            found = [m for m in slack.messages.get(channel, [])
                     if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT
                     and m["metadata"].get("event_payload", {}).get("release_id") == release.id]  # fmt: skip
            foreign += sum(m["metadata"]["event_payload"].get("delivery_id") != by_channel.get(channel) for m in found)
            if not found:
                missing.append(channel)
            elif len(found) > 1:
                duplicates[channel] = len(found) - 1
        result = Result(
            total=total, rounds=rounds, statements=worker_loop.statements, fan_out_statements=fan_out.statements,
            deliveries=len(deliveries), states=Counter(str(d.state) for d in deliveries),
            attempts=Counter(d.attempts for d in deliveries), missing=missing, duplicates=duplicates,
            foreign=foreign, timed_out=timed_out,
            worker={"concurrency": worker.concurrency, "batch": worker.batch(), "lease": worker.lease,
                    "max_attempts": worker.max_attempts, "pace": worker.pace, "rate": worker.pacer.rate,
                    "proven": worker.pacer.proven},
        )  # fmt: skip
    finally:
        await slack.stop()
        engine.dispose()
    return result, slack


# --------------------------------------------------------------------------- report


def report(result: Result, slack: RateLimitedSlack, *, channels: int, ceiling: int, rate_429: float,
           store_label: str, seed_value: int) -> None:  # fmt: skip
    floor = channels / ceiling
    ratio = result.total / floor
    target = target_ratio(ceiling)
    refused = Counter()
    for (_method, kind), n in slack.refused.items():
        refused[kind] += n
    post_refused = Counter(e.outcome for e in slack.events if e.outcome != "posted")
    posts = len(slack.posted_at)
    w = result.worker

    print(f"Herald release fan-out, {store_label}; {machine()}")
    print(f"fake Slack: chat.postMessage <= 1/s per channel and <= {ceiling} per sliding 1 s in the workspace; "
          f"{rate_429:.0%} of all calls answered 429 at random (seed {seed_value}); every 429 has Retry-After")
    print(f"worker: DeliveryWorker(pace=Pace(per_channel={w['pace'].per_channel}, per_second={w['pace'].per_second}),"
          f" concurrency={w['concurrency']}, claims per round at the end={w['batch']}, max_attempts={w['max_attempts']}); "
          f"client: make_client(retries=False)")  # fmt: skip
    print()
    print(f"channels subscribed           {channels}")
    print(f"deliveries                    {result.deliveries}")
    print(f"total time                    {result.total:.2f} s{'  (TIMED OUT)' if result.timed_out else ''}")
    print(f"rate-limit floor              {floor:.2f} s  ({channels} / {ceiling} per s)")
    print(f"ratio total / floor           {ratio:.3f}  (target <= {target}: {verdict(ratio <= target)})")
    print(f"429s received                 {sum(refused.values())}: random {refused[RANDOM]}, "
          f"limit-caused {refused[PER_CHANNEL] + refused[WORKSPACE]} "
          f"(workspace {refused[WORKSPACE]}, per-channel {refused[PER_CHANNEL]})")  # fmt: skip
    calls = posts + sum(post_refused.values())
    print(f"chat.postMessage calls        {calls}: {posts} posted, {sum(post_refused.values())} answered 429")
    share = sum(post_refused.values()) / calls if calls else 0.0
    print(f"429 share of those calls      {share:.1%}  (target <= {TARGET_429_SHARE:.0%}: "
          f"{verdict(share <= TARGET_429_SHARE)})")  # fmt: skip
    print(f"duplicate messages            {sum(result.duplicates.values())} (in {len(result.duplicates)} channels; "
          f"target 0: {verdict(not result.duplicates)})")  # fmt: skip
    print(f"missing messages              {len(result.missing)}  (target 0: {verdict(not result.missing)})")
    if result.foreign:
        print(f"messages with another channel's delivery id: {result.foreign}")
    print(f"outbox states                 {dict(sorted(result.states.items()))}")
    print(f"delivery attempts (claims)    {dict(sorted(result.attempts.items()))}")
    per = result.statements / result.deliveries if result.deliveries else float("nan")
    print(f"SQL statements                {result.statements} by the worker = {per:.2f} per delivery "
          f"(+{result.fan_out_statements} for record_release and its fan-out)")  # fmt: skip
    if w["pace"].per_second is None:
        print(f"learned workspace rate        {w['rate']:g} posts/s at the end (most Slack accepted in a second: "
              f"{w['proven']:g}; the fake allows {ceiling})")  # fmt: skip
    gap = min(slack.channel_gaps) if slack.channel_gaps else None
    print(f"fake check                    most posts in any 1 s: {slack.max_in_window()} (<= {ceiling}); "
          f"shortest gap in one channel: {'none (one post each)' if gap is None else f'{gap:.3f} s'}")  # fmt: skip
    if slack.posted_at:
        span = slack.posted_at[-1] - slack.posted_at[0]
        print(f"posting span                  first to last accepted post {span:.2f} s; "
              f"{posts / result.total:.1f} posts/s over the whole run")  # fmt: skip

    print()
    print("rounds (run_once): a round returns only when every claimed delivery is done")
    print(f"{'round':>5}  {'start s':>7}  {'length s':>8}  {'claimed':>7}  {'posted':>6}  {'429 rnd':>7}  "
          f"{'429 lim':>7}  {'last 1st-try post s':>19}  {'tail s':>6}")  # fmt: skip
    base = result.rounds[0].started if result.rounds else 0.0
    seen: set[int | None] = set()
    shown = 0
    idle_rounds = 0
    for number, r in enumerate(result.rounds, start=1):
        events = [e for e in slack.events if r.started <= e.at <= r.ended]
        if not r.claimed and not events:
            idle_rounds += 1
            continue
        first_tries = []
        for e in events:
            if e.delivery_id not in seen:
                seen.add(e.delivery_id)
                first_tries.append(e.at)
        last_first = max(first_tries) - r.started if first_tries else float("nan")
        tail = r.ended - r.started - last_first if first_tries else float("nan")
        outcomes = Counter(e.outcome for e in events)
        print(f"{number:>5}  {r.started - base:>7.2f}  {r.ended - r.started:>8.2f}  {r.claimed:>7}  "
              f"{outcomes['posted']:>6}  {outcomes[RANDOM]:>7}  {outcomes[PER_CHANNEL] + outcomes[WORKSPACE]:>7}  "
              f"{last_first:>19.2f}  {tail:>6.2f}")  # fmt: skip
        shown += 1
    if idle_rounds:
        print(f"({idle_rounds} rounds claimed nothing while deliveries backed off: polled every {POLL * 1000:.0f} ms)")
    busy = sum(r.ended - r.started for r in result.rounds if r.claimed)
    print(f"time in rounds that claimed something {busy:.2f} s; the floor for the posts made is "
          f"{posts / ceiling:.2f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, seed="the fake's random 429s")
    parser.add_argument("--channels", type=int, default=500, help="subscribed channels (default 500)")
    parser.add_argument("--ceiling", type=int, default=50,
                        help="the fake's workspace ceiling: chat.postMessage per sliding second (default 50)")
    parser.add_argument("--known-limit", action="store_true",
                        help="tell Herald the ceiling (Pace(per_second=--ceiling)) instead of letting it learn it")
    parser.add_argument("--429-rate", dest="rate_429", type=float, default=0.05,
                        help="share of all calls answered 429 at random (default 0.05)")
    parser.add_argument("--concurrency", type=int, help="the worker's concurrency (default: the worker's own, 20)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds (default 600)")
    args = parser.parse_args(argv)
    if args.channels < 1 or args.ceiling < 1 or not 0 <= args.rate_429 < 1:
        parser.error("--channels and --ceiling must be at least 1, --429-rate in [0, 1)")
    with bench_store(args.database_url) as (url, label):
        result, slack = asyncio.run(bench(url, channels=args.channels, ceiling=args.ceiling,
                                          known_limit=args.known_limit, rate_429=args.rate_429, seed_value=args.seed,
                                          concurrency=args.concurrency, timeout=args.timeout))  # fmt: skip
        report(result, slack, channels=args.channels, ceiling=args.ceiling, rate_429=args.rate_429,
               store_label=label, seed_value=args.seed)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
