"""The ownership directory at 20,000 components: import time, matcher time, `/whoowns` latency, memory.

What it measures
    A generated directory (seeded, so every run is the same): 2,000 teams and 20,000 components
    with product-style names ("checkout-api", "Fraud Scoring Worker", "ledger-sync-eu"), one to
    three aliases (codenames, short forms, old names) and tags each, written as one Herald YAML
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
        build the index) are excluded. tests/fake_slack.FakeSlack is the Web API. Herald is
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
    /work/venv/bin/python bench/ownership.py [--database-url URL] [--queries N] [--requests N]

    e.g. /work/venv/bin/python bench/ownership.py --database-url postgresql://postgres@127.0.0.1:5432/test
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
import resource
import statistics
import sys
import tempfile
import time
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import sqlalchemy
from sqlmodel import Session, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # tests/ is not a package; its modules are imported as tests do

from fake_slack import FakeSlack  # noqa: E402
from harness import bench_store, herald_environment, served  # noqa: E402
from slack_requests import signed_headers, slash_command_body  # noqa: E402

from bot.runtime.app import create_app, make_client, make_herald  # noqa: E402
from bot.core.db import make_engine, session_scope  # noqa: E402
from bot.directory.service import CONFIDENT  # noqa: E402
from bot.directory.index import DirectoryIndex  # noqa: E402
from bot.core.matching import slugify  # noqa: E402
from bot.directory.models import DirectoryVersion  # noqa: E402
from bot.directory.imports.formats import read_owner_files  # noqa: E402
from bot.directory.imports.writer import cached_people, contact_refs, import_owners  # noqa: E402
from bot.runtime.server import SLACK_PATH, make_web_app  # noqa: E402
from bot.core.settings import load_settings  # noqa: E402
from bot.slack.people import resolve_people  # noqa: E402

COMPONENTS = 20_000
TEAMS = 2_000
PEOPLE = 3_000
NOT_IN_SLACK = 40
WARMUP = 5
IMPORT_TARGET_S = 10.0
MATCHER_TARGET_MS = 5.0

BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0HERALD"


# --------------------------------------------------------------------------- the directory

DOMAINS = (
    "checkout", "billing", "payments", "search", "catalog", "inventory", "shipping", "orders", "identity",
    "auth", "notifications", "messaging", "analytics", "reporting", "pricing", "promotions", "loyalty",
    "reviews", "recommendations", "onboarding", "accounts", "profile", "settings", "admin", "audit",
    "compliance", "fraud", "risk", "ledger", "invoicing", "tax", "refunds", "subscriptions", "entitlements",
    "licensing", "sso", "directory", "calendar", "scheduling", "booking", "maps", "geo", "media", "images",
    "video", "uploads", "storage", "export", "webhooks", "integrations", "marketplace", "partners", "support",
    "tickets", "chat", "feed", "comments", "sharing", "growth", "experiments", "feature-flags", "payouts",
    "kyc", "consent", "privacy", "localization", "email", "sms", "push", "cart", "wishlist", "returns",
)  # fmt: skip
FACETS = (
    "core", "admin", "public", "internal", "batch", "realtime", "scoring", "sync", "ranking", "rules",
    "events", "history", "config", "metrics", "alerts", "queue", "snapshot", "archive", "preview", "bulk",
    "self-serve", "partner", "mobile", "web", "graph",
)  # fmt: skip
QUALIFIERS = (
    "api", "service", "worker", "gateway", "ui", "web", "app", "sdk", "cli", "scheduler", "indexer",
    "pipeline", "etl", "cache", "proxy", "router", "store", "db", "consumer", "producer", "dashboard",
    "console", "portal", "bot", "cron", "migrator", "exporter", "ingest", "renderer", "validator",
    "resolver", "adapter", "connector", "emitter", "lib", "job", "monitor", "backend", "frontend", "engine",
)  # fmt: skip
VARIANTS = ("eu", "us", "apac", "v2", "v3", "legacy", "next", "edge", "beta", "canary", "shadow", "lite")
SHORT = {"checkout": "chk", "billing": "bill", "payments": "pay", "notifications": "notif", "recommendations":
         "recs", "identity": "iam", "authentication": "authn", "analytics": "stats", "subscriptions": "subs",
         "integrations": "integ", "localization": "l10n", "experiments": "exp", "inventory": "inv",
         "invoicing": "invoices", "reporting": "reports", "marketplace": "mkt", "messaging": "msg"}  # fmt: skip
CODENAMES = (
    "atlas", "orion", "falcon", "hydra", "kestrel", "lynx", "nimbus", "osprey", "pegasus", "quasar",
    "raven", "sable", "titan", "vega", "zephyr", "aurora", "borealis", "cobalt", "dynamo", "ember",
    "fjord", "glacier", "helios", "iris", "juniper", "kodiak", "lumen", "magma", "nova", "onyx",
    "polaris", "quartz", "rhino", "sierra", "tundra", "umbra", "vortex", "willow", "xenon", "yukon",
)  # fmt: skip
TEAM_WORDS = (
    "squad", "core", "platform", "growth", "infra", "experience", "data", "ml", "reliability", "mobile",
    "web", "foundations", "enablement", "ops", "insights", "apps", "services", "tooling", "security", "quality",
    "integrations", "checkout", "discovery", "engagement", "retention", "trust", "money", "content",
)  # fmt: skip
LANGUAGES = ("go", "java", "kotlin", "python", "typescript", "rust", "scala", "swift", "ruby")
PLATFORMS = ("backend", "web", "ios", "android", "data", "infra")
FIRST = (
    "ava", "ben", "chiara", "devon", "emi", "farah", "gus", "hana", "ivan", "jon", "kai", "lena", "marco",
    "nia", "omar", "priya", "quinn", "rosa", "sam", "tariq", "uma", "vik", "wen", "xavi", "yara", "zoe",
    "aiko", "bruno", "carla", "dmitri", "elif", "femi", "greta", "hugo", "ines", "jae", "kofi", "lucia",
    "mateo", "noor", "olga", "pavel", "rhea", "sven", "tomas", "ugo", "vera", "wanjiru", "yusuf", "zara",
)  # fmt: skip
LAST = (
    "abe", "baker", "costa", "dubois", "eze", "fischer", "garcia", "hansen", "ito", "jensen", "kim", "lopez",
    "moreau", "nakamura", "okafor", "patel", "quispe", "rossi", "schmidt", "tanaka", "ueda", "varga",
    "weber", "xu", "yilmaz", "zhang", "alvarez", "berg", "chen", "diallo", "evans", "fontaine", "gupta",
    "horvat", "ibrahim", "janssen", "kowalski", "lindqvist", "mensah", "novak", "oliveira", "petrov",
    "reyes", "silva", "takahashi", "urban", "vogel", "walsh", "young", "zapata",
)  # fmt: skip
MADE_UP = (
    "flux capacitor", "quantum ledger", "teleporter", "holodeck", "warp drive", "sonic screwdriver",
    "blorpt", "zyxwv", "gravitas engine", "moonbase", "time machine", "perpetual motion", "unobtainium",
    "phlogiston", "ether relay", "kryptonite vault", "dilithium", "babel fish", "tricorder", "replicator",
)  # fmt: skip


@dataclass
class Directory:
    teams: list[dict] = field(default_factory=list)
    components: list[dict] = field(default_factory=list)
    people: list[str] = field(default_factory=list)  # e-mails
    not_in_slack: set[str] = field(default_factory=set)


def generate(rng: random.Random) -> Directory:
    """A realistic directory: unique names by slug, aliases that are mostly unique, teams with members."""
    found = Directory()
    names = [f"{first}{middle}.{last}" for first in FIRST for middle in ("", ".j", ".m", ".r") for last in LAST]
    found.people = [f"{name}@example.com" for name in rng.sample(names, PEOPLE)]
    found.not_in_slack = set(rng.sample(found.people, NOT_IN_SLACK))

    team_names: set[str] = set()
    while len(team_names) < TEAMS:
        base = rng.choice((f"{rng.choice(DOMAINS)}-{rng.choice(TEAM_WORDS)}", f"team-{rng.choice(CODENAMES)}"))
        team_names.add(base if base not in team_names else f"{base}-{rng.randint(2, 9)}")
    for name in sorted(team_names):
        found.teams.append({
            "name": name, "display_name": name.replace("-", " ").title(), "channel": f"#team-{name}",
            "slack_group": f"{name}-oncall", "members": rng.sample(found.people, rng.randint(3, 8)),
        })  # fmt: skip

    slugs: set[str] = set()
    used_aliases: set[str] = set()
    while len(found.components) < COMPONENTS:
        domain, facet, qualifier = rng.choice(DOMAINS), rng.choice(FACETS), rng.choice(QUALIFIERS)
        words = rng.choices(([domain, qualifier], [domain, facet, qualifier], [domain, qualifier, rng.choice(VARIANTS)],
                             [domain, facet, qualifier, rng.choice(VARIANTS)]), (20, 40, 20, 20))[0]  # fmt: skip
        name = " ".join(w.replace("-", " ").title() if len(w) > 3 else w.upper() for w in words) \
            if rng.random() < 0.2 else "-".join(words)
        if slugify(name) in slugs:
            continue
        slugs.add(slugify(name))
        aliases = []
        for _ in range(rng.randint(1, 3)):  # a codename, a short form, or the name it had before
            alias = rng.choice((
                f"{rng.choice(CODENAMES)}-{rng.randint(1, 999)}",
                " ".join([SHORT.get(domain, domain[:4]), *words[1:]]),
                f"old {domain.replace('-', ' ')} {qualifier}",
            ))
            if slugify(alias) not in used_aliases and slugify(alias) not in slugs:
                used_aliases.add(slugify(alias))
                aliases.append(alias)
        team = rng.choice(found.teams)
        primary, backup = rng.sample(team["members"], 2)
        found.components.append({
            "name": name, "kind": "service" if qualifier not in ("ui", "web", "app", "portal") else "app",
            "description": f"{domain.replace('-', ' ').capitalize()} {facet} {qualifier}, owned by {team['name']}.",
            "aliases": aliases,
            "tags": [f"tier-{rng.choice((1, 2, 2, 3, 3, 3))}", rng.choice(LANGUAGES), rng.choice(PLATFORMS), domain],
            "team": team["name"], "primary": primary, "backup": backup if rng.random() < 0.8 else None,
            "runbook": f"https://wiki.example.com/runbooks/{slugify(name)}",
            "repo": f"https://github.com/example/{slugify(name)}",
        })  # fmt: skip
    return found


def write_yaml(directory: Directory, path: Path) -> None:
    """Written by hand: values are JSON strings, which YAML reads as double-quoted scalars."""
    q = json.dumps
    lines = ["# Generated by bench/ownership.py", "teams:"]
    for t in directory.teams:
        lines += [f"  - name: {q(t['name'])}", f"    display_name: {q(t['display_name'])}",
                  f"    channel: {q(t['channel'])}", f"    slack_group: {q(t['slack_group'])}",
                  f"    members: [{', '.join(map(q, t['members']))}]"]  # fmt: skip
    lines.append("components:")
    for c in directory.components:
        lines.append(f"  - name: {q(c['name'])}")
        for key in ("kind", "description", "team", "primary", "backup", "runbook", "repo"):
            if c[key]:
                lines.append(f"    {key}: {q(c[key])}")
        lines += [f"    aliases: [{', '.join(map(q, c['aliases']))}]", f"    tags: [{', '.join(map(q, c['tags']))}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    kind: str  # exact | typo | alias | miss
    text: str
    wanted: str | None  # the name of the entry asked for


def with_typo(rng: random.Random, text: str) -> str:
    """One slip in the longest word: a letter dropped, doubled, swapped with the next, or replaced."""
    words = text.split("-") if "-" in text else text.split(" ")
    i = max(range(len(words)), key=lambda k: (len(words[k]), -k))
    word = words[i]
    at = rng.randrange(1, len(word) - 1) if len(word) > 2 else 0
    slip = rng.choice(("drop", "double", "swap", "replace"))
    if slip == "drop":
        word = word[:at] + word[at + 1:]
    elif slip == "double":
        word = word[:at] + word[at] + word[at:]
    elif slip == "swap" and at + 1 < len(word):
        word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    else:
        word = word[:at] + rng.choice("aeioustrnl".replace(word[at].lower(), "")) + word[at + 1:]
    words[i] = word
    return ("-" if "-" in text else " ").join(words)


def make_queries(rng: random.Random, directory: Directory, count: int) -> list[Query]:
    per_kind = max(1, count // 4)
    picks = rng.sample(directory.components, 3 * per_kind)
    with_aliases = [c for c in picks[2 * per_kind:] if c["aliases"]]
    queries = [Query("exact", c["name"], c["name"]) for c in picks[:per_kind]]
    queries += [Query("typo", with_typo(rng, c["name"]), c["name"]) for c in picks[per_kind:2 * per_kind]]
    queries += [Query("alias", rng.choice(c["aliases"]), c["name"]) for c in with_aliases]
    queries += [Query("miss", rng.choice(MADE_UP) if rng.random() < 0.5 else
                      f"{rng.choice(MADE_UP).split()[0]} {rng.choice(('hub', 'matrix', 'beacon', 'forge'))}", None)
                for _ in range(per_kind)]  # fmt: skip
    rng.shuffle(queries)
    return queries


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
    """What `herald import owners PATH` does (bot/cli.py _import_owners), timed in its three parts."""
    started = time.perf_counter()
    batch = read_owner_files([path])
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    with session_scope(engine) as session:
        wanted = contact_refs(batch) - cached_people(session, contact_refs(batch))
    people = await resolve_people(make_client(settings), wanted) if wanted else {}
    resolve_s = time.perf_counter() - started

    started = time.perf_counter()
    with session_scope(engine) as session:
        report = import_owners(session, batch, people=people)
    write_s = time.perf_counter() - started
    return read_s, resolve_s, write_s, summary(report), len(batch.problems)


# --------------------------------------------------------------------------- (b) matcher


class BuiltOnce(DirectoryIndex):
    """The index without its per-query "did the table change?" statement: the matcher's own time."""

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
            started = time.perf_counter()
            session.exec(select(DirectoryVersion.version)).first()  # as DirectoryIndex._refresh
            figures.check.append((time.perf_counter() - started) * 1000)
        for index, samples in ((DirectoryIndex(), figures.with_check), (BuiltOnce(), figures.alone)):
            started = time.perf_counter()
            index.search(session, "warm up", limit=5)  # builds the index
            figures.build_ms = max(figures.build_ms, (time.perf_counter() - started) * 1000)
            gc.collect()
            for query in queries:
                started = time.perf_counter()
                matches = index.search(session, query.text, limit=5)
                samples.append((time.perf_counter() - started) * 1000)
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


def serving_process(pipe: Connection) -> None:
    """The serving process: Herald's real app and nothing else, so its peak RSS is the server's own.

    Started before this process grows: on Linux a child inherits the parent's ru_maxrss through
    fork and exec. Receives (database URL, Slack API URL), sends the events URL, serves until told
    to stop, then sends its peak RSS in MB.
    """
    logging.basicConfig(level=logging.WARNING)
    database_url, slack_api_url = pipe.recv()
    asyncio.run(_serve_until_stopped(database_url, slack_api_url, pipe))
    pipe.send(rss_mb())


async def _serve_until_stopped(database_url: str, slack_api_url: str, pipe: Connection) -> None:
    settings = load_settings(herald_environment(bot_token=BOT_TOKEN, slack_api_url=slack_api_url,
                                                database_url=database_url))  # fmt: skip
    engine = make_engine(settings.database_url)
    herald = make_herald(settings, engine)
    async with served(make_web_app(create_app(herald), herald)) as base_url:
        pipe.send(base_url + SLACK_PATH)
        await asyncio.to_thread(pipe.recv)  # "stop"
        await herald.background.drain()
    engine.dispose()


async def measure_http(url: str, response_url: str, queries: list[Query], requests: int) -> HttpFigures:
    figures = HttpFigures()
    texts = [q.text for q in queries]
    async with aiohttp.ClientSession() as session:
        for i in range(WARMUP + requests):  # the first requests pay auth.test, the index build, template compiles
            body = slash_command_body(texts[i % len(texts)], response_url=response_url, command="/whoowns")
            headers = signed_headers(body, "application/x-www-form-urlencoded")  # Slack's side: before the clock
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                answer = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            try:
                blocks = json.loads(answer)["blocks"]
            except (ValueError, KeyError, TypeError):
                figures.errors.append(f"HTTP {response.status} {answer[:160]!r}")
                continue
            if i < WARMUP:
                continue
            figures.samples.append(elapsed)
            if blocks[0]["type"] == "header":
                figures.cards += 1
            else:
                figures.not_found += 1
    return figures


# --------------------------------------------------------------------------- main


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def bench(
    database_url: str, server: BaseProcess, pipe: Connection, *, queries_n: int, requests: int, seed_value: int,
    store_label: str,
) -> None:
    started = time.perf_counter()
    rng = random.Random(seed_value)
    directory = generate(rng)
    queries = make_queries(random.Random(seed_value + 1), directory, queries_n)
    engine = make_engine(load_settings({"DATABASE_URL": database_url}).database_url)
    async with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack:
        slack.add_channel("C0GENERAL", "general")
        slack.add_user("U0ANN", "ann")
        for n, email in enumerate(directory.people):
            if email not in directory.not_in_slack:
                slack.add_user(f"U{n:07d}", email.split("@")[0], email=email, deleted=n % 50 == 0, tz="UTC")
        settings = load_settings(herald_environment(bot_token=BOT_TOKEN, slack_api_url=slack.base_url,
                                                    database_url=database_url))  # fmt: skip
        try:
            with tempfile.TemporaryDirectory(prefix="herald-owners-") as folder:
                path = Path(folder) / "owners.yaml"
                write_yaml(directory, path)
                size = path.stat().st_size / 1e6
                gc.collect()
                read_s, resolve_s, write_s, report, problems = await import_file(engine, settings, path)
                again_started = time.perf_counter()
                *_, again_report, _ = await import_file(engine, settings, path)
                again_s = time.perf_counter() - again_started
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(sqlalchemy.text("ANALYZE"))
            imported = ImportFigures(len(directory.components), size, read_s, resolve_s, write_s, again_s, report,
                                     again_report, problems)  # fmt: skip
            rss_after_import = rss_mb()
            matcher = measure_matcher(engine, queries)
        finally:
            engine.dispose()
        http, rss_server = await measure_serving_process(server, pipe, database_url, slack, queries, requests)
    print_report(store_label, imported, matcher, http, queries, rss_after_import, rss_server,
                 total=time.perf_counter() - started)  # fmt: skip


def start_serving_process() -> tuple[BaseProcess, Connection]:
    ours, theirs = get_context("spawn").Pipe()
    server = get_context("spawn").Process(target=serving_process, args=(theirs,), daemon=True)
    server.start()
    return server, ours


async def measure_serving_process(
    server: BaseProcess, pipe: Connection, database_url: str, slack: FakeSlack, queries: list[Query], requests: int
) -> tuple[HttpFigures, float]:
    """(c) and (d): Herald served by its own process; this one plays Slack (the Web API and the requests)."""
    pipe.send((database_url, slack.base_url))
    url = await asyncio.to_thread(pipe.recv)
    http = await measure_http(url, slack.response_url("command"), queries, requests)
    pipe.send("stop")
    rss = await asyncio.to_thread(pipe.recv)
    await asyncio.to_thread(server.join, 60)
    return http, rss


def print_report(store_label: str, imported: ImportFigures, matcher: MatcherFigures, http: HttpFigures,
                 queries: list[Query], rss_after_import: float, rss_peak: float, *, total: float) -> None:  # fmt: skip
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(f"Herald ownership directory, {store_label}; Python {platform.python_version()}, {platform.system()}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
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
        p50, p99 = percentiles(samples)
        print(f"    {label:<18} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(samples):6.2f} ms")
    p99 = percentiles(matcher.alone)[1]
    print(f"    target p99 < {MATCHER_TARGET_MS:.0f} ms (matcher alone): {verdict(p99 < MATCHER_TARGET_MS)}")
    found = ", ".join(f"{kind} {hit}/{asked}" for kind, (hit, asked) in matcher.in_top5.items())
    print(f"    entry asked for in the top 5: {found}; misses answered confidently: "
          f"{matcher.confident_misses}/{matcher.misses}")  # fmt: skip
    print()
    print(f"(c) signed /whoowns over HTTP to Herald's aiohttp app, sequential, {WARMUP} warm-up excluded")
    if http.samples:
        p50, p99 = percentiles(http.samples)
        print(f"    n {len(http.samples)}   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(http.samples):6.2f} ms   "
              f"({http.cards} cards, {http.not_found} not found, {len(http.errors)} errors)")  # fmt: skip
    for problem in http.errors[:3]:
        print(f"    error: {problem}")
    print()
    print(f"(d) peak RSS of the serving process: {rss_peak:.0f} MB "
          f"(of the importing process, for comparison: {rss_after_import:.0f} MB)")
    print(f"\ntotal run time {total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a scratch database is created and "
                        "dropped on it); default: a temporary SQLite file")  # fmt: skip
    parser.add_argument("--queries", type=int, default=400, help="matcher queries, a quarter of each kind (default 400)")
    parser.add_argument("--requests", type=int, default=300, help="measured /whoowns requests (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the directory and the queries")
    args = parser.parse_args(argv)
    if args.queries < 8 or args.requests < 2:
        parser.error("--queries must be at least 8 and --requests at least 2")
    logging.basicConfig(level=logging.WARNING)
    with bench_store(args.database_url) as (url, label):
        server, pipe = start_serving_process()
        try:
            asyncio.run(bench(url, server, pipe, queries_n=args.queries, requests=args.requests,
                              seed_value=args.seed, store_label=label))  # fmt: skip
        finally:
            if server.is_alive():
                server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
