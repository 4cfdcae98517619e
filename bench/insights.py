"""Launch insights over a year of history: `/launch insights` ack and figures, the chart, and a history import.

What it measures
    * The ack of `/launch insights` over real HTTP (a signed slash-command POST to `/slack/events`
      until the whole ack is read), beside the bare-Bolt floor measured in the same run: a Bolt app
      whose /launch listener only acks, process_before_response=True as Herald (bench/serving.py).
      Requests go one at a time, a few warm-up requests excluded, two passes in opposite order pooled.
    * The figures: from sending the command until its answer arrives at the response_url (the
      figures are worked out after the ack, off Slack's 3-second path).
    * The chart: bot.insights.chart.draw_chart over 6 months, alone (no Slack), a PNG each time.
    * The import: `herald export history` of the store, then `herald import history` of that file into
      an empty store (reading and checking every row, then writing in one transaction), in seconds.

    The store is the benchmarks' shared world (bench/world.py) at the real "now": 5,000 launches
    (--launches) and about 46,000 history rows going 14 months back. Default store: temporary SQLite
    files; with --database-url postgresql://..., scratch databases on that server.

    Goals (judged, never asserted; the exit status is 0 whatever the figures): ack p99 within 1.5x the
    floor's p99; the import of a 50,000-row history under 10 s on SQLite.

How to run (from the repository root)
    .venv/bin/python -m bench.insights                       # a quick run: 500 launches, 40 requests
    .venv/bin/python -m bench.insights --launches 5000 --requests 300   # the full size
"""

from __future__ import annotations

# ruff: noqa: E402  (the repository root goes on sys.path before bench, bot and tests are imported)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root, not bench/

import asyncio
import csv
import gc
import importlib
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import aiohttp
from sqlmodel import Session

from bench import cli
from bench.measure import Stopwatch, beside_floor, machine, p50_p99, verdict
from bench.serving import bare_web_app, fake_slack, herald_settings, store_engine, timed_command
from bench.world import build_world
from bot.handlers.launches import SUBCOMMANDS
from bot.insights.figures import MonthFigures
from bot.launches.history_csv import HISTORY_COLUMNS, history_rows, read_history
from bot.launches.history_import import import_history
from bot.runtime.app import create_app, make_herald
from bot.runtime.server import SLACK_PATH, make_web_app
from tests.support.harness import bench_store, served

WARMUP = 3
TARGET_RATIO = 1.5
IMPORT_GOAL_S = 10.0
ANSWER_TIMEOUT_S = 60.0
CHARTS = 10


@dataclass
class Timings:
    floor_ack: list[float] = field(default_factory=list)
    ack: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)  # until the figures reach the response_url
    errors: list[str] = field(default_factory=list)


@dataclass
class Imported:
    rows: int
    launches: int
    export_s: float
    read_s: float
    write_s: float


async def bench(database_url: str, scratch_url: str, *, launches: int, requests: int, seed: int,
                store_label: str) -> None:  # fmt: skip
    engine = store_engine(database_url)
    world = build_world(engine, launches=launches, seed=seed, now=datetime.now(UTC))
    timings = await measure_command(engine, database_url, requests=requests) if "insights" in SUBCOMMANDS else None
    charts = chart_times()
    imported = measure_import(engine, store_engine(scratch_url))
    engine.dispose()
    report(world.counts, world.seconds, timings, charts, imported, store_label=store_label, requests=requests)


async def measure_command(engine, database_url: str, *, requests: int) -> Timings:
    timings = Timings()
    serving = AsyncExitStack()
    async with fake_slack() as slack:
        herald = make_herald(herald_settings(database_url, slack.base_url), engine)
        try:
            floor = await serving.enter_async_context(served(bare_web_app(slack.base_url,
                                                                          process_before_response=True)))
            real = await serving.enter_async_context(served(make_web_app(create_app(herald), herald)))
            async with aiohttp.ClientSession() as session:
                sides = [("floor", floor + SLACK_PATH), ("herald", real + SLACK_PATH)]
                for side, url in sides:
                    await _requests(session, slack, side, url, WARMUP, timings, record=False)
                first = requests - requests // 2
                for order, count in ((sides, first), (sides[::-1], requests // 2)):
                    for side, url in order:
                        gc.collect()
                        await _requests(session, slack, side, url, count, timings)
            await herald.background.drain()
        finally:
            await serving.aclose()
    return timings


async def _requests(session: aiohttp.ClientSession, slack, side: str, url: str, count: int, timings: Timings,
                    *, record: bool = True) -> None:  # fmt: skip
    """`count` commands one after another; Herald's each waits for its figures before the next is sent."""
    for _ in range(count):
        name = f"{side}-{len(timings.ack) + len(timings.floor_ack) + len(timings.errors)}-{time.monotonic_ns()}"
        status, body, ack_ms = await timed_command(session, url, "insights", response_url=slack.response_url(name))
        if status != 200:
            timings.errors.append(f"{side}: HTTP {status} {body[:120]!r}")
            continue
        if side == "floor":
            if record:
                timings.floor_ack.append(ack_ms)
            continue
        with Stopwatch() as after_ack:
            answered = await _answer(slack, name)
        if record:
            timings.ack.append(ack_ms)
            if answered:
                timings.answered.append(ack_ms + after_ack.ms)
            else:
                timings.errors.append(f"no answer at the response_url within {ANSWER_TIMEOUT_S:.0f} s")


async def _answer(slack, name: str) -> bool:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not slack.response_url_posts_to(name):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.001)
    return True


def chart_times() -> list[float] | None:
    """draw_chart over six months, ms a chart; None while bot.insights.chart is not in the tree."""
    try:
        draw_chart = importlib.import_module("bot.insights.chart").draw_chart
    except ModuleNotFoundError:
        return None
    months = [MonthFigures(date(2026, m, 1), launched=10 + m, on_time=5 + m // 2, median_delay=4.0 - m)
              for m in range(1, 7)]  # drawing costs the same whatever the figures
    draw_chart(months, title="warm-up")
    times = []
    for _ in range(CHARTS):
        with Stopwatch() as watch:
            png = draw_chart(months, title="How we're shipping")
        assert png.startswith(b"\x89PNG")
        times.append(watch.ms)
    return times


def measure_import(engine, scratch) -> Imported:
    """The store's history exported to a file, then that file read and imported into an empty store."""
    with tempfile.TemporaryDirectory(prefix="herald-bench-history-") as folder:
        path = Path(folder) / "history.csv"
        with Stopwatch() as exporting, Session(engine) as session, path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(history_rows(session))
        with Stopwatch() as reading, path.open(encoding="utf-8", newline="") as lines:
            history = read_history(lines, source=str(path))
        if history.problems:
            raise SystemExit("the exported history does not import:\n" + "\n".join(history.problems[:10]))
        with Stopwatch() as writing, Session(scratch) as session:
            report = import_history(session, history)
            session.commit()
    scratch.dispose()
    return Imported(len(history.rows), report.created, exporting.seconds, reading.seconds, writing.seconds)


def report(counts: dict[str, int], seeded_s: float, timings: Timings | None, charts: list[float] | None,
           imported: Imported, *, store_label: str, requests: int) -> None:  # fmt: skip
    print(f"Herald launch insights, {store_label}; {machine()}")
    print(f"rows: launch {counts['launch']:,}, launch_change {counts['launch_change']:,}; seeded in {seeded_s:.1f} s")
    print()
    if timings is None:
        print("/launch insights: not measured, the command is not in this tree yet")
    else:
        floor_p50, floor_p99 = p50_p99(timings.floor_ack)
        ack_p50, ack_p99 = p50_p99(timings.ack)
        print(f"/launch insights, {requests} sequential requests over HTTP ({WARMUP} warm-up excluded)")
        print(f"  {'':<34}{'p50 ms':>9}{'p99 ms':>9}")
        print(f"  {'bare Bolt ack (floor, pbr=True)':<34}{floor_p50:>9.2f}{floor_p99:>9.2f}")
        print(f"  {'Herald ack':<34}{ack_p50:>9.2f}{ack_p99:>9.2f}")
        if timings.answered:
            answer_p50, answer_p99 = p50_p99(timings.answered)
            print(f"  {'Herald figures at response_url':<34}{answer_p50:>9.2f}{answer_p99:>9.2f}")
        ok = ack_p99 <= TARGET_RATIO * floor_p99
        print(f"  ack p99 {beside_floor(ack_p99, floor_p99)}; goal within {TARGET_RATIO}x: {verdict(ok)}")
        for problem in timings.errors[:3]:
            print(f"  error: {problem}")
    print()
    if charts is None:
        print("chart: not measured, bot.insights.chart is not in this tree yet")
    else:
        p50, p99 = p50_p99(charts)
        print(f"chart: draw_chart over 6 months, {len(charts)} PNGs: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print()
    total = imported.read_s + imported.write_s
    print(f"history import: {imported.rows:,} rows, {imported.launches:,} launches created, into an empty store")
    print(f"  export {imported.export_s:.2f} s; read and check {imported.read_s:.2f} s, write {imported.write_s:.2f} s"
          f" = {total:.2f} s ({imported.rows / total:,.0f} rows/s)")
    print(f"  goal (on SQLite) under {IMPORT_GOAL_S:.0f} s for 50,000 rows: {verdict(total * 50_000 / imported.rows < IMPORT_GOAL_S)}"
          + ("" if imported.rows >= 50_000 else f" (scaled from {imported.rows:,} rows)"))


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, seed="the world")
    parser.add_argument("--launches", type=int, default=500, help="launches in the store (500; the full size 5000)")
    parser.add_argument("--requests", type=int, default=40, help="measured requests a side (40; the full size 300)")
    args = parser.parse_args(argv)
    if args.requests < 2 or args.launches < 1:
        parser.error("--requests must be at least 2, --launches at least 1")
    with bench_store(args.database_url) as (url, label), bench_store(args.database_url) as (scratch, _):
        asyncio.run(bench(url, scratch, launches=args.launches, requests=args.requests, seed=args.seed,
                          store_label=label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
