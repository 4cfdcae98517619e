"""Ack latency of `/launch status` against a bare-Bolt floor, over real HTTP and over Socket Mode, in one run.

What it measures
    The round trip Slack (and so the user) waits for, on either transport:
    - HTTP: a signed slash-command POST to `/slack/events` until the full ack body has been read back;
    - Socket Mode: the fake Slack sending a `slash_commands` envelope on the app's own connection until
      the ack, with its payload, arrives back (tests.support.fake_socket_mode.SocketModePeer.send).
    Requests go one at a time (no concurrency), N per scenario after a few excluded warm-up requests:

    * bare Bolt, HTTP, process_before_response=False         Bolt's default: the listener runs as a task
                                                             and Bolt polls for the ack every 10 ms.
    * bare Bolt, HTTP, process_before_response=True          What Herald uses: the ack is returned as soon
                                                             as the listener returns. The STRICT floor.
    * bare Bolt, Socket Mode, process_before_response=True   The same app on a Socket Mode connection:
                                                             the floor over Socket Mode.
    * Herald /launch status, HTTP                            the board (counts + 30 most urgent launches).
    * Herald /launch status <name>, HTTP                     one launch's card; names picked at random
                                                             (seeded) among the stored launches.
    * Herald /launch status <name>, Socket Mode              the same names, in the same order.

    Slack's side of each request is built before the clock starts (the HTTP body and its signature; the
    command's fields), except that wrapping the fields in an envelope and encoding it is inside the time,
    as it is the fake Slack's sending; both Socket Mode scenarios pay it alike.

    The bare apps have a /launch listener that only acks (bench/serving.py). Over HTTP every app is
    served the same way: an aiohttp app on 127.0.0.1, ephemeral port, same signing secret, Bolt's
    default middleware; Herald is its real app, `make_web_app(create_app(herald), herald)`. Over Socket
    Mode every app is connected the same way, as `herald socket` connects Herald's `create_app(herald)`:
    Bolt's Socket Mode handler (bot.runtime.socket_mode.connected, slack_sdk's aiohttp client) kept
    by a ConnectionKeeper, one connection per app to tests.support.fake_slack.FakeSlack's Socket Mode
    peer. Bolt's auth.test and any Web API call go to that FakeSlack over HTTP (SLACK_API_URL points at
    it). Everything (apps, fake Slack, the timing client) shares one process and one event loop.

    The store is migrated and bulk-filled with the benchmarks' shared world (bench/world.py) at the
    real "now": 5,000 launches (--launches) with a realistic mix of stages, risks and targets, 5
    checklist items each, about 46,000 history rows (launch_change), and the world's directory and
    releases. Default store: a temporary SQLite file. With --database-url postgresql://..., a scratch
    database is created on that server, used and dropped.

    Printed: row counts, a table of n / p50 / p99 per scenario, Herald-over-HTTP p99 divided by each
    HTTP floor's p99, and Herald-over-Socket-Mode p50 and p99 divided by the Socket Mode floor's and
    by Herald-over-HTTP's. The target (p99 within 1.5x the process_before_response=True floor of the
    same transport, and under 100 ms) is judged against the strict floors; the ratio to Bolt's default
    floor is shown for context. Nothing is asserted; the exit status is 0 whatever the figures.

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
import random
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

import aiohttp
from sqlalchemy import Engine

from bench import cli
from bench.measure import Stopwatch, beside_floor, machine, p50_p99, verdict
from bench.serving import (
    bare_app,
    bare_web_app,
    fake_slack,
    herald_settings,
    store_engine,
    timed_command,
    timed_envelope,
)
from bench.world import World, build_world
from bot.runtime.app import create_app, make_herald
from bot.runtime.server import SLACK_PATH, make_web_app
from tests.support.fake_socket_mode import ACK_WITHIN, Connection, NotAcked, SocketModePeer
from tests.support.harness import bench_store, on_socket, served
from tests.support.slack_requests import read_ack

LAUNCHES = 5_000
WARMUP = 5
TARGET_RATIO = 1.5
TARGET_MS = 100.0

Ack = dict[str, Any] | bytes  # the ack's JSON payload ({} for an empty ack), or an HTTP body that is not JSON
Send = Callable[[str], Awaitable[tuple[int, Ack, float]]]  # command text -> (status, ack, ms)
Check = Callable[[int, Ack, str], str | None]  # (status, ack, text sent) -> problem or None


@dataclass
class Scenario:
    label: str
    send: Send
    texts: Callable[[int], list[str]]  # how many -> the command texts to send
    check: Check
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Scenarios(NamedTuple):
    """Every scenario of the run, in the order they are printed (and sent, in the first pass)."""

    bare_default: Scenario
    bare_strict: Scenario
    bare_socket: Scenario
    board: Scenario
    card: Scenario
    card_socket: Scenario


def over_http(session: aiohttp.ClientSession, url: str, response_url: str) -> Send:
    async def send(text: str) -> tuple[int, Ack, float]:
        status, body, ms = await timed_command(session, url, text, response_url=response_url)
        return status, read_ack(body.decode()), ms

    return send


def over_socket(peer: SocketModePeer, connection: Connection, response_url: str) -> Send:
    async def send(text: str) -> tuple[int, Ack, float]:
        try:
            ack, ms = await timed_envelope(peer, connection, text, response_url=response_url)
        except NotAcked:  # Slack's 3 s went by: counted as an error, as a failed HTTP request is
            return 0, {}, ACK_WITHIN * 1000
        return 200, ack, ms  # an envelope has no status: it is acked, or it is not

    return send


def only_ack(status: int, ack: Ack, _text: str) -> str | None:
    return None if status == 200 and ack == {} else f"status {status}, ack {str(ack)[:120]}"


def herald_answer(expect: Callable[[str], str]) -> Check:
    """Herald's ack must carry the expected header (the board's, or the launch's name)."""

    def check(status: int, ack: Ack, text: str) -> str | None:
        try:
            header = ack["blocks"][0]["text"]["text"]
        except (KeyError, IndexError, TypeError):
            return f"status {status}, ack {str(ack)[:200]}"
        wanted = expect(text)
        return None if status == 200 and header == wanted else f"status {status}, header {header!r}, wanted {wanted!r}"

    return check


def launch_names(world: World, seed: int) -> Callable[[int], list[str]]:
    """`status <name>` texts, names drawn at random among the stored launches: the same draw for every
    scenario made with the same seed, so that both transports are asked for the same cards."""
    pick = random.Random(seed)
    return lambda n: [f"status {pick.choice(world.launch_names)}" for _ in range(n)]


async def run_requests(scenario: Scenario, count: int, *, record: bool = True) -> None:
    """Send `count` commands one after another; time each from sending until the whole ack is back."""
    for text in scenario.texts(count):
        status, ack, ms = await scenario.send(text)
        problem = scenario.check(status, ack, text)
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


async def measure(engine: Engine, database_url: str, world: World, *, requests: int, seed: int) -> Scenarios:
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
            bare_socket = await serving.enter_async_context(
                on_socket(bare_app(slack.base_url, process_before_response=True), slack))
            herald_socket = await serving.enter_async_context(on_socket(create_app(herald), slack))
            session = await serving.enter_async_context(aiohttp.ClientSession())

            response_url = slack.response_url("command")
            http = {key: over_http(session, url, response_url) for key, url in urls.items()}
            peer = slack.socket_mode
            board_header = f"Active launches ({world.active:,})"
            card_header = herald_answer(lambda text: text.removeprefix("status "))
            scenarios = Scenarios(
                Scenario("bare Bolt, HTTP, process_before_response=False", http["bare_default"],
                         lambda n: ["status"] * n, only_ack),
                Scenario("bare Bolt, HTTP, process_before_response=True", http["bare_strict"],
                         lambda n: ["status"] * n, only_ack),
                Scenario("bare Bolt, Socket Mode, process_before_response=True",
                         over_socket(peer, bare_socket, response_url), lambda n: ["status"] * n, only_ack),
                Scenario("Herald /launch status, HTTP", http["herald"],
                         lambda n: ["status"] * n, herald_answer(lambda _text: board_header)),
                Scenario("Herald /launch status <name>, HTTP", http["herald"],
                         launch_names(world, seed + 1), card_header),
                Scenario("Herald /launch status <name>, Socket Mode", over_socket(peer, herald_socket, response_url),
                         launch_names(world, seed + 1), card_header),
            )  # fmt: skip
            for scenario in scenarios:  # first requests pay auth.test, template compiles, connections
                await run_requests(scenario, WARMUP, record=False)
            # Two passes in opposite order, pooled, so drift during the run does not favour one side.
            first = requests - requests // 2
            for order, count in ((scenarios, first), (scenarios[::-1], requests // 2)):
                for scenario in order:
                    gc.collect()
                    await run_requests(scenario, count)
            await herald.background.drain()
        finally:
            await serving.aclose()
            engine.dispose()
    return scenarios


def report(scenarios: Scenarios, world: World, *, store_label: str, total: float) -> None:
    figures = {s.label: p50_p99(s.samples) for s in scenarios}
    p99 = {s.label: figures[s.label][1] for s in scenarios}
    counts = world.counts

    print(f"Herald ack latency, {store_label}; {machine()}")
    print(f"rows: launch {counts['launch']:,} ({world.active:,} active), checklist_item {counts['checklist_item']:,}, "
          f"launch_change {counts['launch_change']:,}; seeded in {world.seconds:.1f} s")  # fmt: skip
    print(f"requests: sequential, {WARMUP} warm-up per scenario excluded; HTTP over keep-alive, Socket Mode "
          "envelopes on each app's own connection")  # fmt: skip
    print()
    width = max(len(s.label) for s in scenarios)
    print(f"{'scenario':<{width}}  {'n':>5}  {'p50 ms':>7}  {'p99 ms':>7}  errors")
    for s in scenarios:
        p50, p99_ms = figures[s.label]
        print(f"{s.label:<{width}}  {len(s.samples):>5}  {p50:>7.2f}  {p99_ms:>7.2f}  {len(s.errors)}")
    print()
    strict_p99, default_p99 = p99[scenarios.bare_strict.label], p99[scenarios.bare_default.label]
    print("ratio Herald p99 / bare-Bolt p99, over HTTP")
    print(f"{'':<{width}}  {'vs pbr=True (strict; target)':>28}  {'vs pbr=False (Bolt default)':>27}")
    for s in (scenarios.board, scenarios.card):
        print(f"{s.label:<{width}}  {p99[s.label] / strict_p99:>27.2f}x  {p99[s.label] / default_p99:>26.2f}x")
    print()
    card_socket = scenarios.card_socket
    print(f"{card_socket.label} beside its floor and beside HTTP (ratio: Socket Mode / the row's figure)")
    print(f"{'':<{width}}  {'p50 ms':>7}  {'p99 ms':>7}  {'p50 ratio':>9}  {'p99 ratio':>9}")
    print(f"{card_socket.label:<{width}}  {figures[card_socket.label][0]:>7.2f}  {p99[card_socket.label]:>7.2f}")
    for s in (scenarios.bare_socket, scenarios.card):
        (p50, p99_ms), (mine_p50, mine_p99) = figures[s.label], figures[card_socket.label]
        print(f"{s.label:<{width}}  {p50:>7.2f}  {p99_ms:>7.2f}  {mine_p50 / p50:>8.2f}x  {mine_p99 / p99_ms:>8.2f}x")
    print()
    print(f"target: p99 within {TARGET_RATIO}x of the process_before_response=True floor of the same transport "
          f"and under {TARGET_MS:.0f} ms")  # fmt: skip
    for s, floor in ((scenarios.board, scenarios.bare_strict), (scenarios.card, scenarios.bare_strict),
                     (scenarios.card_socket, scenarios.bare_socket)):  # fmt: skip
        mine, floor_p99 = p99[s.label], p99[floor.label]
        ratio_ok, abs_ok = mine <= TARGET_RATIO * floor_p99, mine < TARGET_MS
        print(f"  {s.label:<{width}}  p99 {beside_floor(mine, floor_p99)}: {verdict(ratio_ok and abs_ok)}"
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
