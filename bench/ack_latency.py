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

    Both bare apps have a /launch listener that only acks. Every app is served the same way:
    an aiohttp app on 127.0.0.1, ephemeral port, same signing secret, Bolt's default middleware;
    Herald is its real app, `make_web_app(create_app(herald), herald)`. Bolt's auth.test and any
    Web API call go to tests/fake_slack.FakeSlack over HTTP (SLACK_API_URL points at it).

    The store is migrated with bot.db.migrate and bulk-filled (SQLAlchemy core executemany):
    5,000 launches with a realistic mix of stages, risks and targets, 5 checklist items each,
    50,000 history rows (launch_change). Default store: a temporary SQLite file. With
    --database-url postgresql://..., a scratch database is created on that server, used and dropped.

    Printed: row counts, a table of n / p50 / p99 per scenario, and Herald p99 divided by each
    floor's p99. The target (p99 within 1.5x the process_before_response=True floor, and under
    100 ms) is judged against the strict floor; the ratio to Bolt's default floor is shown for
    context. Nothing is asserted; the exit status is 0 whatever the figures.

How to run (from the repository root)
    .venv/bin/python bench/ack_latency.py [--database-url URL] [--requests N]

    e.g. .venv/bin/python bench/ack_latency.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import sqlalchemy
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # tests/ is not a package; its modules are imported as tests do

from fake_slack import FakeSlack  # noqa: E402
from vocabulary import AREAS, DONE_BY_STAGE, RISK_MIX, RISK_REASONS, STAGE_MIX, STAGE_ORDER, THINGS  # noqa: E402  (bench/ is the script's folder, so on the path)
from harness import bench_store, herald_environment, served  # noqa: E402
from slack_requests import SIGNING_SECRET, signed_headers, slash_command_body  # noqa: E402

from bot.runtime.app import create_app, make_herald  # noqa: E402
from bot.core.db import make_engine  # noqa: E402
from bot.launches.service import DEFAULT_CHECKLIST  # noqa: E402
from bot.core.matching import slugify  # noqa: E402
from bot.launches.models import ChecklistItem, Launch, LaunchChange, Risk, Stage  # noqa: E402
from bot.runtime.server import SLACK_PATH, make_web_app  # noqa: E402
from bot.core.settings import load_settings  # noqa: E402

LAUNCHES = 5_000
HISTORY_ROWS = 50_000
ITEMS_PER_LAUNCH = len(DEFAULT_CHECKLIST)  # 5
WARMUP = 5
TARGET_RATIO = 1.5
TARGET_MS = 100.0

BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0HERALD"


# --------------------------------------------------------------------------- store




def _pick(rng: random.Random, mix):
    values, weights = zip(*mix)
    return rng.choices(values, weights)[0]


def launch_names(rng: random.Random, count: int) -> list[str]:
    """Unique names like "Checkout redesign", "Checkout redesign 3", "iOS dark mode 12"."""
    names, keys, seen = [], set(), {}
    while len(names) < count:
        base = f"{rng.choice(AREAS)} {rng.choice(THINGS)}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base} {seen[base]}"
        if (key := slugify(name)) not in keys:
            keys.add(key)
            names.append(name)
    return names


def seed(engine: sqlalchemy.Engine, *, seed_value: int) -> list[str]:
    """Bulk-insert launches, checklists and history; return the launch names."""
    rng = random.Random(seed_value)
    now = datetime.now(timezone.utc)
    today = now.date()
    users = [f"U0{n:06X}" for n in range(1, 61)]
    channels = [f"C0{n:06X}" for n in range(1, 41)]
    names = launch_names(rng, LAUNCHES)

    launches = []
    for name in names:
        stage = _pick(rng, STAGE_MIX)
        risk = _pick(rng, RISK_MIX) if stage.is_active else Risk.ON_TRACK
        created_at = now - timedelta(days=rng.uniform(1, 420))
        if stage is Stage.LAUNCHED:
            target: date | None = today - timedelta(days=rng.randint(1, 300))
        elif stage is Stage.CANCELLED or rng.random() < 0.15:
            target = None
        else:
            target = today + timedelta(days=rng.randint(-30, 200))  # some overdue, most ahead
        owner = rng.choice(users)
        channel = rng.choice(channels) if rng.random() < 0.6 else None
        launches.append({
            "key": slugify(name), "name": name, "stage": stage.value, "target_date": target,
            "owner_id": owner if rng.random() < 0.95 else None, "risk": risk.value,
            "risk_reason": rng.choice(RISK_REASONS) if risk is not Risk.ON_TRACK else None,
            "channel_id": channel, "thread_ts": f"1700{rng.randint(0, 10**6):06d}.000100" if channel else None,
            "created_by": owner if rng.random() < 0.7 else rng.choice(users),
            "created_at": created_at, "updated_at": created_at + (now - created_at) * rng.random(),
        })  # fmt: skip

    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(Launch.__table__), launches)
        ids = dict(connection.execute(sqlalchemy.select(Launch.__table__.c.key, Launch.__table__.c.id)).all())

    items, history = [], []
    weights = []
    for row in launches:
        launch_id, stage = ids[row["key"]], Stage(row["stage"])
        low, high = DONE_BY_STAGE[stage]
        done = rng.randint(low, high)
        for position, label in enumerate(DEFAULT_CHECKLIST, start=1):
            finished = position <= done
            items.append({
                "launch_id": launch_id, "position": position, "label": label, "done": finished,
                "done_by": rng.choice(users) if finished else None,
                "done_at": row["created_at"] + (now - row["created_at"]) * rng.random() if finished else None,
            })  # fmt: skip
        history.append({"launch_id": launch_id, "at": row["created_at"], "actor_id": row["created_by"],
                        "field": "created", "old_value": None, "new_value": row["name"]})  # fmt: skip
        # Launches further along have more history; a few busy ones have a lot.
        weights.append((1 + STAGE_ORDER.index(stage) if stage in STAGE_ORDER else 2) * rng.paretovariate(2.5))

    by_id = {ids[row["key"]]: row for row in launches}
    launch_ids = [ids[row["key"]] for row in launches]
    for launch_id in rng.choices(launch_ids, weights, k=HISTORY_ROWS - len(launches)):
        row = by_id[launch_id]
        at = row["created_at"] + (now - row["created_at"]) * rng.random()
        field = rng.choices(("target", "stage", "risk", "risk reason", "owner", "channel", "checklist"),
                            (22, 15, 12, 8, 6, 4, 33))[0]  # fmt: skip
        if field == "target":
            old = today + timedelta(days=rng.randint(-200, 150))
            new = old + timedelta(days=rng.choice((-7, 3, 7, 14, 14, 21, 30, 45)))  # mostly slips
            old_value, new_value = old.isoformat(), new.isoformat()
        elif field == "stage":
            step = rng.randrange(len(STAGE_ORDER) - 1)
            old_value, new_value = STAGE_ORDER[step].value, STAGE_ORDER[step + 1].value
        elif field == "risk":
            old_value, new_value = rng.sample([r.value for r in Risk], 2)
        elif field == "risk reason":
            old_value, new_value = None, rng.choice(RISK_REASONS)
        elif field == "owner":
            old_value, new_value = rng.sample(users, 2)
        elif field == "channel":
            old_value, new_value = None, rng.choice(channels)
        else:
            old_value, new_value = None, f"{rng.choice('☑☐')} {rng.choice(DEFAULT_CHECKLIST)}"
        history.append({"launch_id": launch_id, "at": at, "actor_id": rng.choice(users), "field": field,
                        "old_value": old_value, "new_value": new_value})  # fmt: skip

    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(ChecklistItem.__table__), items)
        connection.execute(sqlalchemy.insert(LaunchChange.__table__), history)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sqlalchemy.text("ANALYZE"))
    return names


def row_counts(engine: sqlalchemy.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)).scalar_one()
            for table in (Launch.__table__, ChecklistItem.__table__, LaunchChange.__table__)
        }


def active_launches(engine: sqlalchemy.Engine) -> int:
    table = Launch.__table__
    active = [stage.value for stage in Stage if stage.is_active]
    with engine.connect() as connection:
        query = sqlalchemy.select(sqlalchemy.func.count()).select_from(table).where(table.c.stage.in_(active))
        return connection.execute(query).scalar_one()


# --------------------------------------------------------------------------- HTTP


def bare_web_app(slack_api_url: str, *, process_before_response: bool) -> web.Application:
    """A Bolt app whose /launch listener only acks, served exactly like Herald's (bot/server.py)."""
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/launch")
    async def only_ack(ack) -> None:
        await ack()

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application()
    web_app.router.add_post(SLACK_PATH, slack_events)
    return web_app


Check = Callable[[int, bytes, str], str | None]  # (status, body, text sent) -> problem or None


@dataclass
class Scenario:
    label: str
    url: str
    texts: Callable[[int], list[str]]  # how many -> the command texts to send
    check: Check
    samples: list[float]
    errors: list[str]


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
        body = slash_command_body(text, response_url=response_url)  # Slack's side: built and signed
        headers = signed_headers(body, "application/x-www-form-urlencoded")  # before the clock starts
        started = time.perf_counter()
        async with session.post(scenario.url, data=body.encode(), headers=headers) as response:
            answer = await response.read()
        elapsed = time.perf_counter() - started
        problem = scenario.check(response.status, answer, text)
        if record:
            scenario.samples.append(elapsed * 1000)
            if problem:
                scenario.errors.append(problem)
        elif problem:
            raise SystemExit(f"warm-up request to {scenario.label!r} failed: {problem}")


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


# --------------------------------------------------------------------------- main


async def bench(database_url: str, *, requests: int, seed_value: int, store_label: str) -> None:
    started = time.perf_counter()
    engine = make_engine(load_settings({"DATABASE_URL": database_url}).database_url)
    names = seed(engine, seed_value=seed_value)
    seeded_in = time.perf_counter() - started
    counts, active = row_counts(engine), active_launches(engine)

    serving = AsyncExitStack()
    async with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack:
        slack.add_channel("C0GENERAL", "general")
        slack.add_user("U0ANN", "ann")
        settings = load_settings(herald_environment(bot_token=BOT_TOKEN, slack_api_url=slack.base_url,
                                                    database_url=database_url))  # fmt: skip
        herald = make_herald(settings, engine)
        try:
            urls = {}
            for key, web_app in (
                ("bare_default", bare_web_app(slack.base_url, process_before_response=False)),
                ("bare_strict", bare_web_app(slack.base_url, process_before_response=True)),
                ("herald", make_web_app(create_app(herald), herald)),
            ):
                urls[key] = await serving.enter_async_context(served(web_app)) + SLACK_PATH

            pick = random.Random(seed_value + 1)
            board_header = f"Active launches ({active:,})"
            scenarios = [
                Scenario("bare Bolt ack, process_before_response=False", urls["bare_default"],
                         lambda n: ["status"] * n, only_ack, [], []),
                Scenario("bare Bolt ack, process_before_response=True", urls["bare_strict"],
                         lambda n: ["status"] * n, only_ack, [], []),
                Scenario("Herald /launch status", urls["herald"],
                         lambda n: ["status"] * n, herald_answer(lambda _text: board_header), [], []),
                Scenario("Herald /launch status <name>", urls["herald"],
                         lambda n: [f"status {pick.choice(names)}" for _ in range(n)],
                         herald_answer(lambda text: text.removeprefix("status ")), [], []),
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
    report(scenarios, counts, active, store_label=store_label, seeded_in=seeded_in, total=time.perf_counter() - started)


def report(
    scenarios: list[Scenario], counts: dict[str, int], active: int, *, store_label: str, seeded_in: float, total: float
) -> None:
    bare_default, bare_strict, *herald = scenarios
    figures = {s.label: percentiles(s.samples) for s in scenarios}
    strict_p99, default_p99 = figures[bare_strict.label][1], figures[bare_default.label][1]

    print(f"Herald ack latency, {store_label}; Python {platform.python_version()}, {platform.system()}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(f"rows: launch {counts['launch']:,} ({active:,} active), checklist_item {counts['checklist_item']:,}, "
          f"launch_change {counts['launch_change']:,}; seeded in {seeded_in:.1f} s")  # fmt: skip
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
        verdict = "met" if ratio_ok and abs_ok else "MISSED"
        print(f"  {s.label:<{width}}  p99 {p99:.2f} ms, {p99 / strict_p99:.2f}x floor: {verdict}"
              f" (ratio {'ok' if ratio_ok else 'over'}, {TARGET_MS:.0f} ms {'ok' if abs_ok else 'over'})")  # fmt: skip
    for s in scenarios:
        for problem in s.errors[:3]:
            print(f"error in {s.label}: {problem}")
    print(f"\ntotal run time {total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a scratch database is created and "
                        "dropped on it); default: a temporary SQLite file")  # fmt: skip
    parser.add_argument("--requests", type=int, default=300, help="measured requests per scenario (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the data and the names asked for")
    args = parser.parse_args(argv)
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    logging.basicConfig(level=logging.WARNING)
    with bench_store(args.database_url) as (url, label):
        asyncio.run(bench(url, requests=args.requests, seed_value=args.seed, store_label=label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
