"""Scheduled digests at scale: build time and SQL statements per digest, and posting through the real runner.

What it measures
    A seeded store, the benchmarks' shared world (bench/world.py) at a fixed "now", Wed 2026-03-18
    10:30 UTC: an ownership directory (60 teams, 600 contacts, 2,000 components, about 3 % of them
    gaps), --launches launches (default 5,000) with checklists and a month of consistent history,
    older history, releases; and 1,000 digest subscriptions (--digests) typed as a user would
    (`daily 09:00 Europe/Berlin team:payments-core`) and read with Herald's own parse_schedule and
    parse_options: daily, weekdays, weekly and cron schedules in nine IANA zones (or the default, UTC),
    filters none / team: / component: / stage: / tag: / team:+stage:, `always` on some, and personal
    digests (`/launch digest me ...`) for launch owners.

    Digests are measured from the outside (bench/digest_runs.py): bot.digests.runner.render() is
    called as DigestRunner.run calls it, in a fresh Session, timed; its SQL statements (and their
    time) are counted with SQLAlchemy "before_cursor_execute"/"after_cursor_execute" listeners on the
    engine; bot.digests.content.content() is then called on its own, in another fresh Session, to
    see what the digest holds and how render()'s time splits. Nothing of Herald is wrapped or patched.

    (a) build: every digest once, period = the schedule's last fire time at or before "now" (a weekly
        Monday digest covers Mon a week earlier to this Monday). The digests are split round-robin
        over --workers forked processes (default 2, each with its own engine; --workers 1 builds them
        all in this process): the total build time is the sum of the per-digest render times (what one
        process doing them all would spend), shown with the wall time. Reported: total, per-digest
        p50/p99, statements per digest, by filter kind; where the time goes (SQL execution, the rest of
        content() -- mostly building ORM objects -- and render() minus content(): the template, the
        Block Kit fit); a table of statements per digest against the launches/changes in it, per filter
        kind; the slowest digests; the directory's gaps() on its own.
    (b) scaling: a fixed set of digests (no filter daily and weekly, a team, a personal digest, a
        stage, a component, a tag) built against this store and against a second store with --small
        launches (default 500; same directory, same owners), median of 5 renders: statements must be
        the same while launches and changes in the digest grow ~10x; and the ORM objects each render
        loads (mapper "load" events, in one more untimed render). tests/test_digest_statements.py
        checks the same invariant on every commit.
    (c) posting: the first --post digests (default 100) are run through DigestRunner.run against
        tests.support.fake_slack.FakeSlack, a real HTTP fake (SLACK_API_URL = fake.base_url), each
        with now = its period + 30 s (as the scheduler wakes it; a run more than 6 h late is skipped as
        "too late" by design). Then the same digests are run again: every one must answer "claimed" and
        post nothing. Reported: outcomes, per-run p50/p99, statements per run, messages the fake stored.

    Default store: a temporary SQLite file. With --database-url postgresql://..., scratch databases
    are created on that server, used and dropped. Nothing is asserted; the exit status is 0.

How to run (from the repository root)
    .venv/bin/python bench/digests.py [--database-url URL] [--launches 5000] [--small 500] [--post 100]
                                      [--digests 1000] [--workers 2] [--profile]

    e.g. .venv/bin/python bench/digests.py --database-url postgresql://postgres@127.0.0.1:5432/test
    --profile adds a cProfile of the slowest digest's render() (top functions by own time).
"""

from __future__ import annotations

# ruff: noqa: E402  (the repository root goes on sys.path before bench, bot and tests are imported)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root, not bench/

import asyncio
import os
from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from bench import cli
from bench import digest_report as report
from bench.digest_runs import NOW, DigestMeter, Posting, build_all, compare, comparison_digests, gaps_cost, post
from bench.measure import Stopwatch, machine
from bench.serving import fake_slack
from bench.world import World, build_world, digest_subscriptions
from bot.digests.models import Digest
from tests.support.harness import bench_store

LAUNCHES, SMALL, DIGESTS, POST = 5_000, 500, 1_000, 100


async def post_first(url: str, digests: list[Digest]) -> Posting:
    """(c): the digests run through DigestRunner.run, posting to a FakeSlack over HTTP."""
    async with fake_slack() as slack:
        for d in digests:
            if not d.personal:
                slack.add_channel(d.channel_id, d.channel_id.lower())
        meter = DigestMeter(url, slack_api_url=slack.base_url)
        try:
            return await post(meter, digests, slack)
        finally:
            meter.engine.dispose()


@contextmanager
def world_store(database_url: str | None, *, launches: int, seed: int) -> Iterator[tuple[str, str, DigestMeter, World]]:
    """A scratch store filled with the shared world at NOW: its URL, its label, a meter on it, the world."""
    with bench_store(database_url) as (url, label):
        meter = DigestMeter(url)
        try:
            yield url, label, meter, build_world(meter.engine, launches=launches, seed=seed, now=NOW)
        finally:
            meter.engine.dispose()


def bench(args: Namespace) -> None:
    with Stopwatch() as run:
        with world_store(args.database_url, launches=args.launches, seed=args.seed) as (url, label, meter, big):
            digests = digest_subscriptions(meter.engine, big, count=args.digests, seed=args.seed + 1)
            meter.engine.dispose()  # no pooled connection crosses the build workers' fork
            samples, wall, worker_walls = build_all(url, digests, args.workers)
            gaps = gaps_cost(meter)
            definitions = comparison_digests(big)
            big_compare = compare(meter, definitions)
            posting = asyncio.run(post_first(url, digests[: args.post])) if args.post else None
            print(f"Herald digests; {machine()}")
            print()
            report.store(label, big, digests)
            print()
            report.build(samples, wall, worker_walls)
            report.gaps(*gaps)
            if args.profile:
                slowest = max(samples, key=lambda s: s.seconds).digest_id
                with Session(meter.engine) as session:
                    report.profile(meter, session.get(Digest, slowest))
        with world_store(args.database_url, launches=args.small, seed=args.seed) as (_url, label, meter, small):
            small_compare = compare(meter, definitions)
            report.store(label, small, [])
            print()
            report.comparison(big, big_compare, small, small_compare)
        if posting is not None:
            report.posting(posting)
    print(f"total run time {run.seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, seed="the data")
    parser.add_argument("--launches", type=int, default=LAUNCHES, help=f"launches in the main store ({LAUNCHES:,})")
    parser.add_argument("--small", type=int, default=SMALL, help=f"launches in the comparison store ({SMALL})")
    parser.add_argument("--digests", type=int, default=DIGESTS, help=f"digest subscriptions ({DIGESTS:,})")
    parser.add_argument("--post", type=int, default=POST,
                        help=f"digests run through DigestRunner.run ({POST}; 0: none)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes building the digests (default: 2, or 1 on one CPU)")
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest digest")
    args = parser.parse_args(argv)
    if min(args.launches, args.small, args.digests, args.workers) < 1 or args.post < 0:
        parser.error("--launches, --small, --digests and --workers must be at least 1, --post at least 0")
    bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
