"""The ownership directory at 20,000 components: import time, matcher time, `/whoowns` latency, memory.

What it measures
    A generated directory (bench/owners_file.py; seeded, so every run is the same): 2,000 teams and
    20,000 components with product-style names ("checkout-api", "Fraud Scoring Worker", "ledger-sync-eu"),
    one to three aliases (codenames, short forms, old names) and tags each, written as one Herald YAML
    owners file in a temporary folder. Contacts are 3,000 people by e-mail; the fake Slack knows
    all but 40 of them (those are looked up one by one, as the CLI does, and stay unresolved).

    (a) import: the `herald import owners` code path, timed in parts — read_owner_files (parse and
        validate), contact_refs/cached_people + resolve_people against the fake Slack over HTTP,
        and import_owners in one session_scope (one transaction). Then the same file again, which
        must report every row unchanged. Target: first import under 10 s.
    (b) matcher: DirectoryIndex.search(limit=5) per query, p50/p99 over the query mix below, once
        as the matcher alone (its per-query "did the table change?" statement skipped once the
        index is built), once as Herald calls it (with that statement), and the statement on its
        own. Also how often the entry asked for is in the top 5, and how often a miss still gets
        a confident (>= 85) answer. Target: under 5 ms.
    (c) end to end: signed `/whoowns <query>` slash commands, one at a time over HTTP keep-alive,
        to Herald's real aiohttp app (make_web_app(create_app(herald), herald)) on 127.0.0.1,
        ephemeral port; timed from send until the whole ack is read. Warm-up requests (which
        build the index) are excluded. tests.support.fake_slack.FakeSlack is the Web API. Herald is
        served by a fresh child process, as in production the CLI that imports and the bot that
        serves are separate processes; this process plays Slack.
    (d) the serving process's peak RSS (resource.getrusage ru_maxrss, read by that process after
        the run), and, for comparison, this process's peak after the import.

    Queries: a seeded mix of exact names (as written), names with one typo (a letter dropped,
    doubled, swapped or replaced in one word), aliases, and misses (made-up product words).

    Default store: a temporary SQLite file. With --database-url postgresql://..., a scratch
    database is created on that server, used and dropped. Nothing is asserted; the exit status
    is 0 whatever the figures.

How to run (from the repository root)
    .venv/bin/python bench/ownership.py [--database-url URL] [--queries N] [--requests N]

    e.g. .venv/bin/python bench/ownership.py --database-url postgresql://postgres@127.0.0.1:5432/test
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
import tempfile
from dataclasses import dataclass, field

import aiohttp
import sqlalchemy
from sqlmodel import Session, select

from bench import cli
from bench.measure import Stopwatch, machine, p50_p99, verdict
from bench.owners_file import COMPONENTS, NOT_IN_SLACK, PEOPLE, TEAMS, Query, generate, make_queries, write_yaml
from bench.serving import ServingProcess, fake_slack, herald_settings, rss_mb, store_engine, timed_command
from bench.world import analyze
from bot.core.db import session_scope
from bot.directory.entries import CONFIDENT
from bot.directory.imports.formats import read_owner_files
from bot.directory.imports.writer import cached_people, contact_refs, import_owners
from bot.directory.index import DirectoryIndex
from bot.directory.models import DirectoryVersion
from bot.slack.client import make_client
from bot.slack.people import resolve_people
from tests.support.harness import bench_store

WARMUP = 5
IMPORT_TARGET_S = 10.0
MATCHER_TARGET_MS = 5.0


# --------------------------------------------------------------------------- (a) import


@dataclass
class ImportFigures:
    rows: int
    yaml_mb: float
    read_s: float
    resolve_s: float
    write_s: float
    again_s: float
    report: str
    again_report: str
    problems: int

    @property
    def total_s(self) -> float:
        return self.read_s + self.resolve_s + self.write_s


def summary(report) -> str:
    return (f"{report.created} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.pruned} removed; {report.teams} teams; {len(report.unresolved)} contacts not found")  # fmt: skip


async def import_file(engine: sqlalchemy.Engine, settings, path: Path) -> tuple[float, float, float, str, int]:
    """What `herald import owners PATH` does (bot.runtime.cli), timed in its three parts."""
    with Stopwatch() as read:
        batch = read_owner_files([path])
    with Stopwatch() as resolve:
        with session_scope(engine) as session:
            wanted = contact_refs(batch) - cached_people(session, contact_refs(batch))
        people = await resolve_people(make_client(settings), wanted) if wanted else {}
    with Stopwatch() as write, session_scope(engine) as session:
        report = import_owners(session, batch, people=people)
    return read.seconds, resolve.seconds, write.seconds, summary(report), len(batch.problems)


# --------------------------------------------------------------------------- (b) matcher


class BuiltOnce(DirectoryIndex):
    """The index without its per-query "did the table change?" statement: the matcher's own time.

    A subclass the benchmark owns, not a patch: Herald's own DirectoryIndex is measured beside it.
    """

    def _refresh(self, session: Session) -> None:
        if self._signature is None:
            super()._refresh(session)


@dataclass
class MatcherFigures:
    build_ms: float
    with_check: list[float]
    alone: list[float]
    check: list[float]  # the "did the table change?" statement on its own
    in_top5: dict[str, tuple[int, int]]  # kind -> (found, asked)
    confident_misses: int
    misses: int


def measure_matcher(engine: sqlalchemy.Engine, queries: list[Query]) -> MatcherFigures:
    figures = MatcherFigures(0.0, [], [], [], {}, 0, 0)
    with Session(engine) as session:
        for _ in queries:
            with Stopwatch() as watch:
                session.exec(select(DirectoryVersion.version)).first()  # as DirectoryIndex._refresh
            figures.check.append(watch.ms)
        for index, samples in ((DirectoryIndex(), figures.with_check), (BuiltOnce(), figures.alone)):
            with Stopwatch() as watch:
                index.search(session, "warm up", limit=5)  # builds the index
            figures.build_ms = max(figures.build_ms, watch.ms)
            gc.collect()
            for query in queries:
                with Stopwatch() as watch:
                    matches = index.search(session, query.text, limit=5)
                samples.append(watch.ms)
                if index.__class__ is BuiltOnce:
                    tally(figures, query, matches)
    return figures


def tally(figures: MatcherFigures, query: Query, matches) -> None:
    if query.wanted is None:
        figures.misses += 1
        figures.confident_misses += bool(matches and matches[0].score >= CONFIDENT)
        return
    found, asked = figures.in_top5.get(query.kind, (0, 0))
    figures.in_top5[query.kind] = (found + any(m.name == query.wanted for m in matches), asked + 1)


# --------------------------------------------------------------------------- (c) end to end


@dataclass
class HttpFigures:
    samples: list[float] = field(default_factory=list)
    cards: int = 0
    not_found: int = 0
    errors: list[str] = field(default_factory=list)


async def measure_http(url: str, response_url: str, queries: list[Query], requests: int) -> HttpFigures:
    figures = HttpFigures()
    texts = [q.text for q in queries]
    async with aiohttp.ClientSession() as session:
        for i in range(WARMUP + requests):  # the first requests pay auth.test, the index build, template compiles
            status, answer, ms = await timed_command(session, url, texts[i % len(texts)], response_url=response_url,
                                                     command="/whoowns")  # fmt: skip
            try:
                blocks = json.loads(answer)["blocks"]
            except (ValueError, KeyError, TypeError):
                figures.errors.append(f"HTTP {status} {answer[:160]!r}")
                continue
            if i < WARMUP:
                continue
            figures.samples.append(ms)
            if blocks[0]["type"] == "header":
                figures.cards += 1
            else:
                figures.not_found += 1
    return figures


# --------------------------------------------------------------------------- main


async def bench(database_url: str, server: ServingProcess, *, queries_n: int, requests: int, seed: int,
                store_label: str) -> None:  # fmt: skip
    with Stopwatch() as total:
        directory = generate(random.Random(seed))
        queries = make_queries(random.Random(seed + 1), directory, queries_n)
        engine = store_engine(database_url)
        async with fake_slack() as slack:
            for n, email in enumerate(directory.people):
                if email not in directory.not_in_slack:
                    slack.add_user(f"U{n:07d}", email.split("@")[0], email=email, deleted=n % 50 == 0, tz="UTC")
            settings = herald_settings(database_url, slack.base_url)
            try:
                with tempfile.TemporaryDirectory(prefix="herald-owners-") as folder:
                    path = Path(folder) / "owners.yaml"
                    write_yaml(directory, path)
                    gc.collect()
                    read_s, resolve_s, write_s, report, problems = await import_file(engine, settings, path)
                    with Stopwatch() as again:
                        *_, again_report, _ = await import_file(engine, settings, path)
                    imported = ImportFigures(len(directory.components), path.stat().st_size / 1e6, read_s, resolve_s,
                                             write_s, again.seconds, report, again_report, problems)  # fmt: skip
                analyze(engine)
                rss_after_import = rss_mb()
                matcher = measure_matcher(engine, queries)
            finally:
                engine.dispose()
            # (c) and (d): Herald served by its own process; this one plays Slack (the Web API and the requests).
            url = await server.serve(database_url, slack.base_url)
            http = await measure_http(url, slack.response_url("command"), queries, requests)
            rss_server = await server.stop()
    print_report(store_label, imported, matcher, http, queries, rss_after_import, rss_server, total=total.seconds)


def print_report(store_label: str, imported: ImportFigures, matcher: MatcherFigures, http: HttpFigures,
                 queries: list[Query], rss_after_import: float, rss_peak: float, *, total: float) -> None:  # fmt: skip
    print(f"Herald ownership directory, {store_label}; {machine()}")
    print(f"directory: {COMPONENTS:,} components, {TEAMS:,} teams, {PEOPLE:,} people "
          f"({NOT_IN_SLACK} not in Slack); owners.yaml {imported.yaml_mb:.1f} MB")  # fmt: skip
    print()
    print("(a) import, as `herald import owners` does it")
    print(f"    read + validate   {imported.read_s:6.2f} s   ({imported.problems} problems)")
    print(f"    resolve contacts  {imported.resolve_s:6.2f} s   (users.list + users.lookupByEmail, fake Slack over HTTP)")
    print(f"    write (1 txn)     {imported.write_s:6.2f} s   {imported.report}")
    print(f"    total             {imported.total_s:6.2f} s   target < {IMPORT_TARGET_S:.0f} s: "
          f"{verdict(imported.total_s < IMPORT_TARGET_S)}")  # fmt: skip
    print(f"    same file again   {imported.again_s:6.2f} s   {imported.again_report}")
    print()
    kinds = {kind: sum(q.kind == kind for q in queries) for kind in ("exact", "typo", "alias", "miss")}
    print(f"(b) matcher, DirectoryIndex.search(limit=5), {len(queries)} queries "
          f"({', '.join(f'{n} {kind}' for kind, n in kinds.items())}); index built in {matcher.build_ms:.0f} ms")  # fmt: skip
    for label, samples in (("matcher alone", matcher.alone), ("with change check", matcher.with_check),
                           ("change check only", matcher.check)):
        p50, p99 = p50_p99(samples)
        print(f"    {label:<18} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(samples):6.2f} ms")
    p99 = p50_p99(matcher.alone)[1]
    print(f"    target p99 < {MATCHER_TARGET_MS:.0f} ms (matcher alone): {verdict(p99 < MATCHER_TARGET_MS)}")
    found = ", ".join(f"{kind} {hit}/{asked}" for kind, (hit, asked) in matcher.in_top5.items())
    print(f"    entry asked for in the top 5: {found}; misses answered confidently: "
          f"{matcher.confident_misses}/{matcher.misses}")  # fmt: skip
    print()
    print(f"(c) signed /whoowns over HTTP to Herald's aiohttp app, sequential, {WARMUP} warm-up excluded")
    if http.samples:
        p50, p99 = p50_p99(http.samples)
        print(f"    n {len(http.samples)}   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(http.samples):6.2f} ms   "
              f"({http.cards} cards, {http.not_found} not found, {len(http.errors)} errors)")  # fmt: skip
    for problem in http.errors[:3]:
        print(f"    error: {problem}")
    print()
    print(f"(d) peak RSS of the serving process: {rss_peak:.0f} MB "
          f"(of the importing process, for comparison: {rss_after_import:.0f} MB)")
    print(f"\ntotal run time {total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, seed="the directory and the queries")
    parser.add_argument("--queries", type=int, default=400, help="matcher queries, a quarter of each kind (default 400)")
    parser.add_argument("--requests", type=int, default=300, help="measured /whoowns requests (default 300)")
    args = parser.parse_args(argv)
    if args.queries < 8 or args.requests < 2:
        parser.error("--queries must be at least 8 and --requests at least 2")
    with bench_store(args.database_url) as (url, label):
        server = ServingProcess()  # before this process grows (see ServingProcess)
        try:
            asyncio.run(bench(url, server, queries_n=args.queries, requests=args.requests, seed=args.seed,
                              store_label=label))  # fmt: skip
        finally:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
