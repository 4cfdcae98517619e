"""Ack latency of `/launch status` against a bare-Bolt floor, over real HTTP.

What it measures
    The round trip Slack (and so the user) waits for: a signed slash-command POST to
    `/slack/events` until the full ack body has been read back. Requests go one at a time
    (no concurrency), N per scenario after a few excluded warm-up requests:

    * bare Bolt, process_before_response=False  Bolt's default: the listener runs as a task and
                                                  Bolt polls for the ack every 10 ms.
    * bare Bolt, process_before_response=True   What Herald uses: the ack is returned as soon as
                                                  the listener returns. The STRICT floor.
    * Herald `/launch status`                    the board (counts + 30 most urgent launches).
    * Herald `/launch status <name>`             one launch's card; names picked at random
                                                  (seeded) among the stored launches.

    Both bare apps have a /launch listener that only acks (bench/serving.py). Every app is served
    the same way: an aiohttp app on 127.0.0.1, ephemeral port, same signing secret, Bolt's default
    middleware; Herald is its real app, `make_web_app(create_app(herald), herald)`. Bolt's auth.test
    and any Web API call go to tests.support.fake_slack.FakeSlack over HTTP (SLACK_API_URL points at it).

    The store is migrated and bulk-filled with the benchmarks' shared world (bench/world.py) at the
    real "now": 5,000 launches (--launches) with a realistic mix of stages, risks and targets, 5
    checklist items each, about 46,000 history rows (launch_change), and the world's directory and
    releases. Default store: a temporary SQLite file. With --database-url postgresql://..., a scratch
    database is created on that server, used and dropped.

    Printed: row counts, a table of n / p50 / p99 per scenario, and Herald p99 divided by each
    floor's p99. The target (p99 within 1.5x the process_before_response=True floor, and under
    100 ms) is judged against the strict floor; the ratio to Bolt's default floor is shown for
    context. Nothing is asserted; the exit status is 0 whatever the figures.

How to run (from the repository root)
    .venv/bin/python bench/ack_latency.py [--database-url URL] [--requests N] [--launches N]

    e.g. .venv/bin/python bench/ack_latency.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

# ruff: noqa: E402  (the repository root goes on sys.path before bench, bot and tests are imported)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root, not bench/

import asyncio
import gc
import json
import random
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone

import aiohttp
from sqlalchemy import Engine

from bench import cli
from bench.measure import Stopwatch, beside_floor, machine, p50_p99, verdict
from bench.serving import bare_web_app, fake_slack, herald_settings, store_engine, timed_command
from bench.world import World, build_world
from bot.runtime.app import create_app, make_herald
from bot.runtime.server import SLACK_PATH, make_web_app
from tests.support.harness import bench_store, served

LAUNCHES = 5_000
WARMUP = 5
TARGET_RATIO = 1.5
TARGET_MS = 100.0

Check = Callable[[int, bytes, str], str | None]  # (status, body, text sent) -> problem or None


@dataclass
class Scenario:
    label: str
    url: str
    texts: Callable[[int], list[str]]  # how many -> the command texts to send
    check: Check
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def only_ack(status: int, body: bytes, _text: str) -> str | None:
    return None if status == 200 and body == b"" else f"HTTP {status} {body[:120]!r}"


def herald_answer(expect: Callable[[str], str]) -> Check:
    """Herald's ack must carry the expected header (the board's, or the launch's name)."""

    def check(status: int, body: bytes, text: str) -> str | None:
        try:
            header = json.loads(body)["blocks"][0]["text"]["text"]
        except (ValueError, KeyError, IndexError, TypeError):
            return f"HTTP {status} {body[:200]!r}"
        wanted = expect(text)
        return None if status == 200 and header == wanted else f"HTTP {status} header {header!r}, wanted {wanted!r}"

    return check


async def run_requests(
    session: aiohttp.ClientSession, response_url: str, scenario: Scenario, count: int, *, record: bool = True
) -> None:
    """Send `count` requests one after another; time each from send until the whole answer is read."""
    for text in scenario.texts(count):
        status, answer, ms = await timed_command(session, scenario.url, text, response_url=response_url)
        problem = scenario.check(status, answer, text)
        if record:
            scenario.samples.append(ms)
            if problem:
                scenario.errors.append(problem)
        elif problem:
            raise SystemExit(f"warm-up request to {scenario.label!r} failed: {problem}")


async def bench(database_url: str, *, launches: int, requests: int, seed: int, store_label: str) -> None:
    with Stopwatch() as total:
        engine = store_engine(database_url)
        world = build_world(engine, launches=launches, seed=seed, now=datetime.now(timezone.utc))
        scenarios = await measure(engine, database_url, world, requests=requests, seed=seed)
    report(scenarios, world, store_label=store_label, total=total.seconds)


async def measure(engine: Engine, database_url: str, world: World, *, requests: int, seed: int) -> list[Scenario]:
    serving = AsyncExitStack()
    async with fake_slack() as slack:
        herald = make_herald(herald_settings(database_url, slack.base_url), engine)
        try:
            urls = {}
            for key, web_app in (
                ("bare_default", bare_web_app(slack.base_url, process_before_response=False)),
                ("bare_strict", bare_web_app(slack.base_url, process_before_response=True)),
                ("herald", make_web_app(create_app(herald), herald)),
            ):
                urls[key] = await serving.enter_async_context(served(web_app)) + SLACK_PATH

            pick = random.Random(seed + 1)
            board_header = f"Active launches ({world.active:,})"
            scenarios = [
                Scenario("bare Bolt ack, process_before_response=False", urls["bare_default"],
                         lambda n: ["status"] * n, only_ack),
                Scenario("bare Bolt ack, process_before_response=True", urls["bare_strict"],
                         lambda n: ["status"] * n, only_ack),
                Scenario("Herald /launch status", urls["herald"],
                         lambda n: ["status"] * n, herald_answer(lambda _text: board_header)),
                Scenario("Herald /launch status <name>", urls["herald"],
                         lambda n: [f"status {pick.choice(world.launch_names)}" for _ in range(n)],
                         herald_answer(lambda text: text.removeprefix("status "))),
            ]  # fmt: skip
            response_url = slack.response_url("command")
            async with aiohttp.ClientSession() as session:
                for scenario in scenarios:  # first requests pay auth.test, template compiles, connections
                    await run_requests(session, response_url, scenario, WARMUP, record=False)
                # Two passes in opposite order, pooled, so drift during the run does not favour one side.
                first = requests - requests // 2
                for order, count in ((scenarios, first), (scenarios[::-1], requests // 2)):
                    for scenario in order:
                        gc.collect()
                        await run_requests(session, response_url, scenario, count)
            await herald.background.drain()
        finally:
            await serving.aclose()
            engine.dispose()
    return scenarios


def report(scenarios: list[Scenario], world: World, *, store_label: str, total: float) -> None:
    bare_default, bare_strict, *herald = scenarios
    figures = {s.label: p50_p99(s.samples) for s in scenarios}
    strict_p99, default_p99 = figures[bare_strict.label][1], figures[bare_default.label][1]
    counts = world.counts

    print(f"Herald ack latency, {store_label}; {machine()}")
    print(f"rows: launch {counts['launch']:,} ({world.active:,} active), checklist_item {counts['checklist_item']:,}, "
          f"launch_change {counts['launch_change']:,}; seeded in {world.seconds:.1f} s")  # fmt: skip
    print(f"requests: sequential over HTTP keep-alive, {WARMUP} warm-up per scenario excluded")
    print()
    width = max(len(s.label) for s in scenarios)
    print(f"{'scenario':<{width}}  {'n':>5}  {'p50 ms':>7}  {'p99 ms':>7}  errors")
    for s in scenarios:
        p50, p99 = figures[s.label]
        print(f"{s.label:<{width}}  {len(s.samples):>5}  {p50:>7.2f}  {p99:>7.2f}  {len(s.errors)}")
    print()
    print("ratio Herald p99 / bare-Bolt p99")
    print(f"{'':<{width}}  {'vs pbr=True (strict; target)':>28}  {'vs pbr=False (Bolt default)':>27}")
    for s in herald:
        p99 = figures[s.label][1]
        print(f"{s.label:<{width}}  {p99 / strict_p99:>27.2f}x  {p99 / default_p99:>26.2f}x")
    print()
    print(f"target: p99 within {TARGET_RATIO}x of the process_before_response=True floor "
          f"({strict_p99:.2f} ms -> {TARGET_RATIO * strict_p99:.2f} ms) and under {TARGET_MS:.0f} ms")  # fmt: skip
    for s in herald:
        p99 = figures[s.label][1]
        ratio_ok, abs_ok = p99 <= TARGET_RATIO * strict_p99, p99 < TARGET_MS
        print(f"  {s.label:<{width}}  p99 {beside_floor(p99, strict_p99)}: {verdict(ratio_ok and abs_ok)}"
              f" (ratio {'ok' if ratio_ok else 'over'}, {TARGET_MS:.0f} ms {'ok' if abs_ok else 'over'})")  # fmt: skip
    for s in scenarios:
        for problem in s.errors[:3]:
            print(f"error in {s.label}: {problem}")
    print(f"\ntotal run time {total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, seed="the data and the names asked for")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per scenario (default 300)")
    parser.add_argument("--launches", type=int, default=LAUNCHES, help=f"launches in the store ({LAUNCHES:,})")
    args = parser.parse_args(argv)
    if args.requests < 2 or args.launches < 1:
        parser.error("--requests must be at least 2, --launches at least 1")
    with bench_store(args.database_url) as (url, label):
        asyncio.run(bench(url, launches=args.launches, requests=args.requests, seed=args.seed, store_label=label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
