"""Scheduled digests at scale: build time and SQL statements per digest, and posting through the real runner.

What it measures
    A seeded store (every run the same, at a fixed "now", Wed 2026-03-18 10:30 UTC):

    * an ownership directory: 60 teams, 600 contacts (400 launch owners and 150 other people in
      Slack, 30 people not found in Slack, 20 deactivated), 2,000 components with tags, about 3 %
      of them "gaps" (no primary contact, or one who left or is not in Slack);
    * --launches launches (default 5,000) with realistic stages, risks, targets and owners, 5
      checklist items each, and a month of history written backwards from each launch's current
      state, so it is consistent: stage moves, target slips (and a few pull-ins), risk changes
      with their "risk reason" rows, plus owner/channel/checklist noise (not digest fields),
      spread over the 30 days; launches created during the month have their "created" row, and
      about 30 % of launched launches went live during the month (a stage move to launched and
      the launch's own release, as bot.releases.announce_launch records it). Older history (up
      to 14 months back) sits in the same table;
    * releases over the month (and the five months before) for directory components, with tags,
      some prereleases, some withdrawn, a few scheduled after "now";
    * 1,000 digest subscriptions, each typed as a user would (`daily 09:00 Europe/Berlin
      team:payments-core`) and read with Herald's own parse_schedule and parse_options: daily,
      weekdays, weekly and cron schedules in nine IANA zones (or the default, UTC), filters none /
      team: / component: / stage: / tag: / team:+stage:, `always` on some, and personal
      digests (`/launch digest me ...`) for launch owners.
    Everything is bulk-inserted with SQLAlchemy Core (insert with lists of dicts).

    (a) build: for every digest, in a fresh Session (as DigestRunner.run opens one), the period is
        the schedule's last fire time at or before "now"; DigestRunner.render(session, digest,
        period=period, now=NOW) is timed (perf_counter) and its SQL statements counted with a
        SQLAlchemy "before_cursor_execute" listener on the engine. So a digest covers from the
        fire time before its period up to NOW (a weekly Monday digest: Mon a week earlier to Wed).
        The 1,000 renders are split round-robin over --workers forked processes (default 2, each
        with its own engine; --workers 1 renders them all in this process): the total build time
        is the sum of the per-digest render times (what one process doing them all would spend),
        shown with the wall time. Reported: total, per-digest p50/p99, statements per digest, by
        filter kind; where the time goes (SQL execution, the rest of digests.content() -- mostly
        building ORM objects -- and the template render plus Block Kit fitting); a table of
        statements per digest against the launches/changes in it, per filter kind; the slowest
        digests; directory.gaps() on its own.
    (b) scaling: a fixed set of digests (no filter daily and weekly, a team, a personal digest,
        a stage, a component, a tag) rendered against this store and against a second store
        with --small launches (default 500; same directory, same owners), median of 5 renders:
        statements must be the same while launches and changes in the digest grow ~10x; and the
        ORM objects each render loads (mapper "load" events, in one more untimed render).
    (c) posting: the first --post digests (default 100) are run through DigestRunner.run against
        tests/fake_slack.FakeSlack, a real HTTP fake (SLACK_API_URL = fake.base_url), each with
        now = its period + 30 s (as the scheduler wakes it; a run more than 6 h late is skipped
        as "too late" by design). Then the same digests are run again: every one must answer
        "claimed" and post nothing. Reported: outcomes, per-run p50/p99, statements per run,
        messages the fake stored.

    Default store: a temporary SQLite file. With --database-url postgresql://..., scratch databases
    are created on that server, used and dropped. Nothing is asserted; the exit status is 0.

How to run (from the repository root)
    .venv/bin/python bench/digests.py [--database-url URL] [--launches 5000] [--small 500] [--post 100]
                                      [--workers 2] [--profile]

    e.g. .venv/bin/python bench/digests.py --database-url postgresql://postgres@127.0.0.1:5432/test
    --profile adds a cProfile of the slowest digest (top functions by own time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import logging
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlmodel import Session, col, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # tests/ is not a package; fake_slack is imported as tests do

from fake_slack import FakeSlack  # noqa: E402
from vocabulary import AREAS, DONE_BY_STAGE, RISK_MIX, RISK_REASONS, STAGE_MIX, STAGE_ORDER, THINGS  # noqa: E402  (bench/ is the script's folder, so on the path)
from harness import bench_store  # noqa: E402

from bot import digests as digests_module  # noqa: E402
from bot import directory  # noqa: E402
from bot.runtime.app import Herald, make_herald  # noqa: E402
from bot.core.db import make_engine  # noqa: E402
from bot.digests.runner import DigestRunner  # noqa: E402
from bot.digests.service import DigestContent, parse_options, schedule_of  # noqa: E402
from bot.launches.service import DEFAULT_CHECKLIST  # noqa: E402
from bot.core.matching import slugify  # noqa: E402
from bot.digests.models import Digest
from bot.directory.models import Component, Contact, Team, TeamMember
from bot.launches.models import ChecklistItem, Launch, LaunchChange, Risk, Stage
from bot.releases.models import Release
from bot.digests.schedules import parse_schedule  # noqa: E402
from bot.core.settings import load_settings  # noqa: E402

NOW = datetime(2026, 3, 18, 10, 30, tzinfo=timezone.utc)  # a Wednesday
TODAY = NOW.date()
MONTH = timedelta(days=30)
MONTH_START = NOW - MONTH
LAUNCHES, SMALL, DIGESTS, POST = 5_000, 500, 1_000, 100
TEAMS, OWNERS, OTHERS, NOT_IN_SLACK, DEACTIVATED, COMPONENTS = 60, 400, 150, 30, 20, 2_000
REPEATS = 5  # renders per digest in the scaling comparison (the median is shown)
SLOW_MS = 50.0

BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0HERALD"

TEAM_KINDS = ("core", "web", "apps", "platform", "growth")
PARTS = ("api", "worker", "web", "service", "sync", "gateway", "db", "ui", "jobs", "ingest", "exporter",
         "scheduler", "cache", "search-index")  # fmt: skip
VARIANTS = ("", "eu", "us", "v2", "legacy")
TAGS = ("mobile", "web", "payments", "platform", "data", "infra", "security", "growth", "internal", "api")
# Changes a launch sees in the month, by stage: busy while building/in beta, quiet once done.
MONTHLY_CHANGES = {Stage.PLANNING: 3.0, Stage.BUILDING: 5.0, Stage.BETA: 6.0, Stage.READY: 5.0,
                   Stage.LAUNCHED: 1.0, Stage.CANCELLED: 0.7}  # fmt: skip
# (kind, weight) of a change in the month; "noise" is owner/channel/checklist, not shown in digests.
CHANGE_MIX = (("target", 30), ("stage", 18), ("risk", 20), ("noise", 32))
ZONES = (("UTC", 10), ("", 10), ("Europe/Berlin", 20), ("Europe/London", 12), ("America/New_York", 16),
         ("America/Los_Angeles", 10), ("America/Sao_Paulo", 4), ("Asia/Kolkata", 6), ("Asia/Tokyo", 6),
         ("Australia/Sydney", 6))  # fmt: skip  ("" = no zone typed: Herald's default, UTC)
SCHEDULES = (("daily", 40), ("weekdays", 18), ("weekly", 36), ("cron", 6))
AT = ("08:00", "08:30", "09:00", "09:00", "09:30", "10:00", "16:30", "17:00")
CRONS = ('"30 8 * * 1,3,5"', '"0 9 * * 1"', '"0 16 * * 5"', '"15 7 * * 1-5"')
FILTER_MIX = (("none", 20), ("team", 25), ("component", 12), ("stage", 9), ("tag", 9), ("team+stage", 5),
              ("personal", 17), ("personal+stage", 3))  # fmt: skip


def _pick(rng: random.Random, mix):
    values, weights = zip(*mix)
    return rng.choices(values, weights)[0]


# --------------------------------------------------------------------------- store


# --------------------------------------------------------------------------- seed


@dataclass
class World:
    """What the digests can name, and what was seeded."""

    owners: list[str]
    team_keys: list[str]
    team_of: dict[str, str]  # owner -> their (first) team key
    component_keys: list[str]
    launch_keys: list[str]
    owned: Counter[str]  # owner -> launches owned
    counts: dict[str, int] = field(default_factory=dict)
    month_changes: int = 0
    month_digest_changes: int = 0
    launched_in_month: int = 0
    gaps: int = 0
    seconds: float = 0.0


def seed_directory(connection: sqlalchemy.Connection, rng: random.Random) -> tuple[list[str], list[str], dict, int]:
    """Teams, contacts, memberships and components; returns (owners, team keys, owner -> team, gaps)."""
    team_names: list[str] = []
    for area in rng.sample(AREAS, len(AREAS)):
        for kind in rng.sample(TEAM_KINDS, 2):
            team_names.append(f"{area} {kind}")
    team_names = team_names[:TEAMS]
    teams = [{"key": slugify(n), "name": n, "display_name": f"{n.title()} team", "slack_group": f"@{slugify(n)}",
              "channel": f"C0T{i:06d}", "escalation": None, "source": "owners.yaml", "updated_at": NOW - MONTH * 3}
             for i, n in enumerate(team_names)]  # fmt: skip
    connection.execute(sqlalchemy.insert(Team.__table__), teams)
    team_ids = dict(connection.execute(sqlalchemy.select(Team.__table__.c.key, Team.__table__.c.id)
                                       .order_by(Team.__table__.c.id)).all())  # fmt: skip

    owners = [f"U0OWN{n:04d}" for n in range(OWNERS)]
    others = [f"U0PPL{n:04d}" for n in range(OTHERS)]
    contacts = [{"ref": f"{u.lower()}@example.com", "slack_user_id": u, "display_name": f"Person {u[-4:]}",
                 "deactivated": False, "checked_at": NOW - timedelta(hours=5)} for u in owners + others]  # fmt: skip
    contacts += [{"ref": f"ghost{n}@example.com", "slack_user_id": None, "display_name": None, "deactivated": False,
                  "checked_at": NOW - timedelta(hours=5)} for n in range(NOT_IN_SLACK)]  # fmt: skip
    contacts += [{"ref": f"gone{n}@example.com", "slack_user_id": f"U0GON{n:04d}", "display_name": f"Left {n}",
                  "deactivated": True, "checked_at": NOW - timedelta(hours=5)} for n in range(DEACTIVATED)]  # fmt: skip
    connection.execute(sqlalchemy.insert(Contact.__table__), contacts)
    contact_ids = dict(connection.execute(sqlalchemy.select(Contact.__table__.c.ref, Contact.__table__.c.id)).all())
    by_user = {c["slack_user_id"]: contact_ids[c["ref"]] for c in contacts if c["slack_user_id"]}

    keys = list(team_ids)
    team_of: dict[str, str] = {}
    members: set[tuple[int, int]] = set()
    for person in owners + others:
        first = rng.choice(keys)
        team_of.setdefault(person, first)
        members.add((team_ids[first], by_user[person]))
        if rng.random() < 0.15:  # some people sit in two teams
            members.add((team_ids[rng.choice(keys)], by_user[person]))
    connection.execute(sqlalchemy.insert(TeamMember.__table__),
                       [{"team_id": t, "contact_id": c} for t, c in sorted(members)])  # fmt: skip

    good = [by_user[u] for u in owners + others]
    bad = [contact_ids[c["ref"]] for c in contacts if not c["slack_user_id"] or c["deactivated"]]
    names = [f"{slugify(a)}-{p}" + (f"-{v}" if v else "") for a in AREAS for p in PARTS for v in VARIANTS]
    rng.shuffle(names)
    components, gaps = [], 0
    for n, name in enumerate(names[:COMPONENTS] + [f"service-{i}" for i in range(COMPONENTS - len(names))]):
        roll = rng.random()
        primary = None if roll < 0.015 else rng.choice(bad) if roll < 0.04 else rng.choice(good)
        gaps += primary is None or primary in bad
        components.append({
            "key": slugify(name), "name": name, "kind": "component", "description": f"The {name} component.",
            "aliases": [], "tags": sorted(rng.sample(TAGS, rng.choice((1, 1, 2, 3)))),
            "team_id": team_ids[rng.choice(keys)] if rng.random() < 0.95 else None,
            "primary_contact_id": primary, "backup_contact_id": rng.choice(good) if rng.random() < 0.6 else None,
            "channel": None, "escalation": None, "runbook_url": None, "repo_url": f"https://git.example.com/{name}",
            "source": "owners.yaml", "updated_at": NOW - timedelta(days=rng.uniform(1, 200)),
        })  # fmt: skip
    connection.execute(sqlalchemy.insert(Component.__table__), components)
    return owners, keys, team_of, gaps


def launch_names(rng: random.Random, count: int) -> list[str]:
    """Unique names like "Checkout redesign", "Checkout redesign 3"."""
    names, keys, seen = [], set(), {}
    while len(names) < count:
        base = f"{rng.choice(AREAS)} {rng.choice(THINGS)}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base} {seen[base]}"
        if (key := slugify(name)) not in keys:
            keys.add(key)
            names.append(name)
    return names


def _noise(rng: random.Random, users: list[str]) -> tuple[str, str | None, str | None]:
    kind = rng.choices(("checklist", "owner", "channel"), (70, 15, 15))[0]
    if kind == "owner":
        old, new = rng.sample(users, 2)
        return "owner", old, new
    if kind == "channel":
        return "channel", None, f"C0L{rng.randint(0, 99):06d}"
    return "checklist", None, f"{rng.choice('☑☐')} {rng.choice(DEFAULT_CHECKLIST)}"


def month_history(rng: random.Random, row: dict[str, Any], users: list[str], launched_at: datetime | None
                  ) -> tuple[list[dict[str, Any]], dict[str, Any]]:  # fmt: skip
    """The launch's changes over the month, walked backwards from its current state so they add up.

    Returns the change rows (without launch_id) and the launch's state at the start of the month.
    """
    stage, target = Stage(row["stage"]), row["target_date"]
    risk, reason = Risk(row["risk"]), row["risk_reason"]
    start = max(row["created_at"], MONTH_START)
    share = (NOW - start) / MONTH
    count = int(rng.expovariate(1 / (MONTHLY_CHANGES[stage] * share)) + 0.5) if share > 0 else 0
    times = sorted((start + (NOW - start) * rng.random() for _ in range(count)), reverse=True)
    rows: list[dict[str, Any]] = []

    def text(value: object) -> str | None:
        if isinstance(value, date):
            return value.isoformat()
        return str(value.value) if isinstance(value, Stage | Risk) else value  # type: ignore[return-value]

    def add(at: datetime, name: str, old: object, new: object) -> None:
        rows.append({"at": at, "actor_id": rng.choice([row["owner_id"] or users[0]] * 3 + users[:5]),
                     "field": name, "old_value": text(old), "new_value": text(new)})  # fmt: skip

    if launched_at is not None:  # the newest stage move: ready -> launched
        add(launched_at, "stage", Stage.READY, Stage.LAUNCHED)
        stage = Stage.READY
        times = [t for t in times if t < launched_at]
    for at in times:
        kind = _pick(rng, CHANGE_MIX)
        if kind == "stage" and stage in STAGE_ORDER[1:4]:
            previous = STAGE_ORDER[STAGE_ORDER.index(stage) - 1]
            add(at, "stage", previous, stage)
            stage = previous
        elif kind == "stage" and stage is Stage.CANCELLED:
            previous = rng.choice((Stage.PLANNING, Stage.BUILDING))
            add(at, "stage", previous, stage)
            stage = previous
        elif kind == "target" and stage.is_active:
            if target is None:
                old = TODAY + timedelta(days=rng.randint(0, 90))
                add(at, "target", old, None)
            else:
                move = rng.choice((7, 14, 14, 21, 30, 3, -7, 45))  # mostly slips, a few pull-ins
                old = target - timedelta(days=move)
                add(at, "target", old, target)
            target = old
        elif kind == "risk" and stage.is_active:
            old_risk = rng.choice([r for r in Risk if r is not risk])
            old_reason = rng.choice(RISK_REASONS) if old_risk is not Risk.ON_TRACK else None
            add(at, "risk", old_risk, risk)
            if old_reason != reason:  # bot.launches.service records both, as `/launch set X risk ...` does
                add(at, "risk reason", old_reason, reason)
            risk, reason = old_risk, old_reason
        else:
            add(at, *_noise(rng, users))
    if row["created_at"] >= MONTH_START:
        rows.append({"at": row["created_at"], "actor_id": row["created_by"], "field": "created",
                     "old_value": None, "new_value": row["name"]})  # fmt: skip
    return rows, {"stage": stage}


def seed(engine: sqlalchemy.Engine, *, launches: int, seed_value: int) -> World:
    """Bulk-insert the directory, launches, checklists, history, releases. The directory is the same for any size."""
    started = time.perf_counter()
    with engine.begin() as connection:
        owners, team_keys, team_of, gaps = seed_directory(connection, random.Random(seed_value))
        table = Component.__table__
        component_rows = connection.execute(sqlalchemy.select(table.c.key, table.c.name, table.c.tags)
                                            .order_by(table.c.id)).all()  # fmt: skip

    rng = random.Random(seed_value * 1_000 + launches)
    names = launch_names(rng, launches)
    # Owners own unevenly: a few people run many launches.
    owner_weights = [rng.paretovariate(1.6) for _ in owners]
    rows = []
    launched_at: dict[str, datetime] = {}
    for name in names:
        stage = _pick(rng, STAGE_MIX)
        risk = _pick(rng, RISK_MIX) if stage.is_active else Risk.ON_TRACK
        created_at = NOW - timedelta(days=rng.uniform(0.5, 420))
        if stage is Stage.LAUNCHED and created_at < MONTH_START - timedelta(days=20) and rng.random() < 0.3:
            went_live = NOW - MONTH * rng.random()
            launched_at[slugify(name)] = went_live
            target: date | None = went_live.date() + timedelta(days=rng.randint(-5, 5))
        elif stage is Stage.LAUNCHED:
            target = TODAY - timedelta(days=rng.randint(31, 300))
        elif stage is Stage.CANCELLED or rng.random() < 0.12:
            target = None
        else:
            target = TODAY + timedelta(days=rng.randint(-20, 150))  # some overdue, most ahead
        owner = rng.choices(owners, owner_weights)[0] if rng.random() < 0.96 else None
        channel = f"C0L{rng.randint(0, 99):06d}" if rng.random() < 0.6 else None
        rows.append({
            "key": slugify(name), "name": name, "stage": stage.value, "target_date": target, "owner_id": owner,
            "risk": risk.value, "risk_reason": rng.choice(RISK_REASONS) if risk is not Risk.ON_TRACK else None,
            "channel_id": channel, "thread_ts": f"1700{rng.randint(0, 10**6):06d}.000100" if channel else None,
            "created_by": owner or rng.choice(owners), "created_at": created_at, "updated_at": created_at,
        })  # fmt: skip

    history_by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        month, _start_state = month_history(rng, row, owners, launched_at.get(row["key"]))
        older: list[dict[str, Any]] = []
        if row["created_at"] < MONTH_START:
            older.append({"at": row["created_at"], "actor_id": row["created_by"], "field": "created",
                          "old_value": None, "new_value": row["name"]})  # fmt: skip
            for _ in range(int(rng.expovariate(1 / 4))):
                at = row["created_at"] + (MONTH_START - row["created_at"]) * rng.random()
                kind = rng.choice(("target", "stage", "risk", "noise"))
                if kind == "target":
                    old = TODAY - timedelta(days=rng.randint(0, 300))
                    older.append({"at": at, "actor_id": row["created_by"], "field": "target",
                                  "old_value": old.isoformat(), "new_value": (old + timedelta(days=14)).isoformat()})
                elif kind == "risk":
                    older.append({"at": at, "actor_id": row["created_by"], "field": "risk",
                                  "old_value": "on_track", "new_value": "at_risk"})  # fmt: skip
                    older.append({"at": at, "actor_id": row["created_by"], "field": "risk reason",
                                  "old_value": None, "new_value": rng.choice(RISK_REASONS)})  # fmt: skip
                else:
                    field_name, old_value, new_value = _noise(rng, owners)
                    older.append({"at": at, "actor_id": row["created_by"], "field": field_name,
                                  "old_value": old_value, "new_value": new_value})  # fmt: skip
        history_by_key[row["key"]] = older + month
        if month or older:
            row["updated_at"] = max(h["at"] for h in month + older)

    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(Launch.__table__), rows)
        ids = dict(connection.execute(sqlalchemy.select(Launch.__table__.c.key, Launch.__table__.c.id)).all())

    items, history = [], []
    for row in rows:
        launch_id, stage = ids[row["key"]], Stage(row["stage"])
        low, high = DONE_BY_STAGE[stage]
        done = rng.randint(low, high)
        for position, label in enumerate(DEFAULT_CHECKLIST, start=1):
            finished = position <= done
            done_at = row["created_at"] + (NOW - row["created_at"]) * rng.random() if finished else None
            items.append({"launch_id": launch_id, "position": position, "label": label, "done": finished,
                          "done_by": row["owner_id"] if finished else None, "done_at": done_at})  # fmt: skip
        history.extend({"launch_id": launch_id, **h} for h in history_by_key[row["key"]])
    history.sort(key=lambda h: h["at"])  # ids in time order, as an append-only log has them

    releases = []
    for row in rows:  # a launch that went live is a release of its own (bot.releases.announce_launch)
        live = launched_at.get(row["key"])
        if row["stage"] == Stage.LAUNCHED and live is None:
            live = datetime.combine(row["target_date"], datetime.min.time(), timezone.utc) + timedelta(hours=15)
        if live is not None:
            releases.append({
                "component": row["key"], "component_name": row["name"], "version": live.date().isoformat(),
                "title": f"{row['name']} is live", "notes": "", "link": None, "tags": [], "prerelease": False,
                "announce_at": live, "fanned_out": True, "withdrawn": False, "revision": 1, "source": "launch",
                "external_id": f"launch:{ids[row['key']]}", "created_by": row["owner_id"], "created_at": live,
            })  # fmt: skip
    weights = [rng.paretovariate(1.2) for _ in component_rows]
    versions: Counter[str] = Counter()
    for n in range(4_500):  # ~1,500 in the month, the rest over the five months before; a few scheduled ahead
        key, name, tags = rng.choices(component_rows, weights)[0]
        at = NOW - timedelta(days=30 if n < 1_500 else 180) * rng.random() if n < 4_480 else NOW + timedelta(
            hours=rng.uniform(1, 72))
        versions[key] += 1
        releases.append({
            "component": key, "component_name": name, "version": f"1.{versions[key]}.0",
            "title": rng.choice((None, "Faster exports", "Bug fixes", "New settings page", "EU region")),
            "notes": "## What changed\n- Things", "link": f"https://git.example.com/{key}/releases/{versions[key]}",
            "tags": list(tags), "prerelease": rng.random() < 0.1, "announce_at": at, "fanned_out": at <= NOW,
            "withdrawn": rng.random() < 0.02, "revision": 1,
            "source": rng.choice(("github", "github", "cli", "webhook")),
            "external_id": f"gh:{key}:{versions[key]}", "created_by": "U0BOT", "created_at": min(at, NOW),
        })  # fmt: skip

    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(ChecklistItem.__table__), items)
        connection.execute(sqlalchemy.insert(LaunchChange.__table__), history)
        connection.execute(sqlalchemy.insert(Release.__table__), releases)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sqlalchemy.text("ANALYZE"))

    in_month = [h for h in history if h["at"] > MONTH_START]
    world = World(owners=owners, team_keys=team_keys, team_of=team_of, component_keys=[k for k, _n, _t in
                  component_rows], launch_keys=[r["key"] for r in rows],
                  owned=Counter(r["owner_id"] for r in rows if r["owner_id"]))  # fmt: skip
    world.month_changes = len(in_month)
    world.month_digest_changes = sum(h["field"] in digests_module.DIGEST_FIELDS for h in in_month)
    world.launched_in_month = len(launched_at)
    world.gaps = gaps
    with engine.connect() as connection:
        world.counts = {
            table.name: connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)).scalar_one()
            for table in (Launch.__table__, ChecklistItem.__table__, LaunchChange.__table__, Release.__table__,
                          Component.__table__, Contact.__table__, Team.__table__, TeamMember.__table__)
        }  # fmt: skip
    world.seconds = time.perf_counter() - started
    return world


def digest_rows(world: World, rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Digest subscriptions as users type them, read with Herald's parse_schedule and parse_options."""
    rows = []
    personal_owners = [o for o, _n in world.owned.most_common()]
    rng.shuffle(personal_owners)
    for n in range(count):
        kind = _pick(rng, FILTER_MIX)
        if kind.startswith("personal") and not personal_owners:
            kind = "none"
        when = _pick(rng, SCHEDULES)
        words = [when]
        if when == "weekly":
            words += [rng.choice(("mon", "mon", "mon", "fri", "wed")), rng.choice(AT)]
        elif when == "cron":
            words += [rng.choice(CRONS).strip('"')]
        else:
            words.append(rng.choice(AT))
        if zone := _pick(rng, ZONES):
            words.append(zone)
        if kind in ("team", "team+stage"):
            words.append(f"team:{rng.choice(world.team_keys)}")
        if kind in ("stage", "team+stage", "personal+stage"):
            words.append(f"stage:{rng.choice(('building', 'beta', 'ready', 'planning'))}")
        if kind == "component":
            key = rng.choice(world.launch_keys) if rng.random() < 0.3 else rng.choice(world.component_keys)
            words.append(f"component:{key}")
        if kind == "tag":
            words.append(f"tag:{rng.choice(TAGS)}")
        if rng.random() < 0.1:
            words.append("always")
        schedule, rest = parse_schedule(words, default_timezone="UTC")
        filters, always = parse_options(rest)
        personal = kind.startswith("personal")
        channel = personal_owners.pop() if personal else f"C0DG{n:06d}"
        rows.append({"channel_id": channel, "personal": personal, "cron": schedule.cron, "timezone": schedule.timezone,
                     "filters": filters, "always": always, "created_by": world.owners[n % len(world.owners)],
                     "created_at": NOW - timedelta(days=40)})  # fmt: skip
    return rows


def kind_of(digest: Digest) -> str:
    parts = (["personal"] if digest.personal else []) + sorted(digest.filters)
    return "+".join(parts) or "none"


def cadence_of(digest: Digest) -> str:
    dow = digest.cron.split()[4]
    return "daily" if dow == "*" else "weekdays" if dow in ("mon-fri", "1-5") else "weekly" if dow in (
        "mon", "tue", "wed", "thu", "fri", "sat", "sun") else "cron"


# --------------------------------------------------------------------------- instruments


class Meter:
    """SQL statements and their time on one engine, ORM objects loaded, and the phases of a render."""

    LOADED = (Launch, LaunchChange, Release, Component, Contact, Team)

    def __init__(self) -> None:
        self.on = False
        self.reset()

    @contextmanager
    def counting_loads(self) -> Iterator[None]:
        """Count ORM objects loaded, per class (mapper "load" events). Not during timed builds: it costs."""
        for cls in self.LOADED:
            sqlalchemy.event.listen(cls, "load", self._loaded)
        try:
            yield
        finally:
            for cls in self.LOADED:
                sqlalchemy.event.remove(cls, "load", self._loaded)

    def reset(self) -> None:
        self.statements = 0
        self.sql = 0.0
        self.loads: Counter[str] = Counter()
        self.content_seconds = 0.0
        self.message_seconds = 0.0
        self.content: DigestContent | None = None
        self.message: dict | None = None
        self._started: list[float] = []

    def watch(self, engine: sqlalchemy.Engine) -> None:
        sqlalchemy.event.listen(engine, "before_cursor_execute", self._before)
        sqlalchemy.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        if self.on:
            self.statements += 1
            self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        if self.on and self._started:
            self.sql += time.perf_counter() - self._started.pop()

    def _loaded(self, target: Any, _context: Any) -> None:
        if self.on:
            self.loads[type(target).__name__] += 1


@contextmanager
def instrumented(meter: Meter, herald: Herald) -> Iterator[None]:
    """Time digests.content() and the template render inside DigestRunner.render (wrappers; nothing changed)."""
    original_content, original_message = digests_module.content, herald.renderer.message

    def content(*args: Any, **kwargs: Any) -> DigestContent:
        started = time.perf_counter()
        found = original_content(*args, **kwargs)
        meter.content_seconds += time.perf_counter() - started
        meter.content = found
        return found

    def message(*args: Any, **kwargs: Any) -> dict:
        started = time.perf_counter()
        answer = original_message(*args, **kwargs)
        meter.message_seconds += time.perf_counter() - started
        return answer

    digests_module.content, herald.renderer.message = content, message
    try:
        yield
    finally:
        digests_module.content = original_content
        del herald.renderer.message  # back to the class's method


@dataclass
class Sample:
    digest_id: int
    label: str
    kind: str
    cadence: str
    seconds: float
    statements: int
    sql: float
    content_seconds: float
    message_seconds: float
    launches: int
    changes: int
    sections: dict[str, int]
    loads: Counter[str]
    posted: bool
    truncated: bool


def render_one(meter: Meter, runner: DigestRunner, engine: sqlalchemy.Engine, digest: Digest, *, label: str = ""
               ) -> Sample:  # fmt: skip
    """DigestRunner.render for the digest's newest period at NOW, in a fresh Session, timed and counted."""
    period = schedule_of(digest).last_fire(NOW)
    with Session(engine, expire_on_commit=False) as session:
        if digest.id is not None:
            digest = session.get(Digest, digest.id)  # as DigestRunner.run loads it; not counted
        meter.reset()
        meter.on = True
        started = time.perf_counter()
        message = runner.render(session, digest, period=period, now=NOW)
        elapsed = time.perf_counter() - started
        meter.on = False
    found = meter.content
    launch_ids = ({n.launch.id for n in found.changed.rows} | {x.id for x in found.at_risk.rows}
                  | {x.id for x in found.upcoming.rows})
    text = "" if message is None else str(message)
    return Sample(
        digest_id=digest.id or 0, label=label, kind=kind_of(digest), cadence=cadence_of(digest), seconds=elapsed,
        statements=meter.statements, sql=meter.sql, content_seconds=meter.content_seconds,
        message_seconds=meter.message_seconds, launches=len(launch_ids),
        changes=sum(len(n.changes) for n in found.changed.rows),
        sections={"changed": found.changed.total, "at_risk": found.at_risk.total, "upcoming": found.upcoming.total,
                  "shipped": found.shipped.total, "gaps": found.gaps.total},
        loads=meter.loads.copy(), posted=message is not None, truncated="(truncated)" in text,
    )  # fmt: skip


def pct(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --------------------------------------------------------------------------- phases


@dataclass
class Store:
    label: str
    url: str
    engine: sqlalchemy.Engine
    world: World
    herald: Herald
    runner: DigestRunner


def open_store(url: str, meter: Meter, *, launches: int, seed_value: int) -> Store:
    settings = load_settings({"DATABASE_URL": url, "SLACK_BOT_TOKEN": BOT_TOKEN})
    engine = make_engine(settings.database_url)
    world = seed(engine, launches=launches, seed_value=seed_value)
    meter.watch(engine)
    herald = make_herald(settings, engine, clock=lambda: NOW)
    return Store(_store_label(url), url, engine, world, herald, DigestRunner(herald))


def _store_label(url: str) -> str:
    engine_url = sqlalchemy.make_url(load_settings({"DATABASE_URL": url}).database_url)
    if engine_url.get_backend_name() == "sqlite":
        return "SQLite (temporary file)"
    return f"PostgreSQL ({engine_url.host}:{engine_url.port or 5432}, scratch database {engine_url.database})"


def _build_worker(job: tuple[str, list[int]]) -> tuple[list[Sample], float]:
    """One build worker (a forked process): its own engine, Herald and meter; renders its share of the digests."""
    url, ids = job
    meter = Meter()
    settings = load_settings({"DATABASE_URL": url, "SLACK_BOT_TOKEN": BOT_TOKEN})
    engine = make_engine(settings.database_url)
    meter.watch(engine)
    herald = make_herald(settings, engine, clock=lambda: NOW)
    runner = DigestRunner(herald)
    try:
        with Session(engine) as session:
            digests = list(session.exec(select(Digest).where(col(Digest.id).in_(ids)).order_by(Digest.id)))
        with instrumented(meter, herald):
            # Warm-up (template compile, statement cache, first connection) on a transient digest, excluded.
            render_one(meter, runner, engine, Digest(channel_id="C0WARM", cron="0 9 * * *", timezone="UTC",
                                                     created_by="U0", filters={}))  # fmt: skip
            gc.collect()
            started = time.perf_counter()
            samples = [render_one(meter, runner, engine, d) for d in digests]
            return samples, time.perf_counter() - started
    finally:
        engine.dispose()


def build_all(store: Store, digests: list[Digest], workers: int) -> tuple[list[Sample], float, list[float]]:
    """Render every digest once, split round-robin over `workers` forked processes (1: in this process)."""
    ids = [d.id for d in digests]
    jobs = [(store.url, ids[i::workers]) for i in range(workers)]
    store.engine.dispose()  # no pooled connection crosses a fork
    started = time.perf_counter()
    if workers == 1:
        results = [_build_worker(jobs[0])]
    else:
        with get_context("fork").Pool(workers) as pool:
            results = pool.map(_build_worker, jobs)
    wall = time.perf_counter() - started
    samples = sorted((s for part, _w in results for s in part), key=lambda s: s.digest_id)
    return samples, wall, [w for _part, w in results]


def gaps_cost(store: Store) -> tuple[float, int, int]:
    """directory.gaps() on its own (every channel digest without stage: calls it): median ms, rows, gaps."""
    times, found = [], []
    rows = 0
    for _ in range(REPEATS):
        with Session(store.engine) as session:
            rows = session.exec(select(sqlalchemy.func.count()).select_from(Component)).one()
            started = time.perf_counter()
            found = directory.gaps(session)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, rows, len(found)


def comparison_digests(world: World) -> list[tuple[str, Digest]]:
    """The same digest definitions for both stores (the directory and owners are the same in both)."""
    busiest_team = Counter(world.team_of[o] for o in world.owned.elements()).most_common(1)[0][0]
    busiest_owner = world.owned.most_common(1)[0][0]
    busy_component = next((k for k in sorted(world.component_keys) if k.startswith("payments-api")),
                          world.component_keys[0])

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


def compare(store: Store, meter: Meter, definitions: list[tuple[str, Digest]]) -> list[Sample]:
    samples = []
    with instrumented(meter, store.herald):
        for label, digest in definitions:
            gc.collect()
            runs = [render_one(meter, store.runner, store.engine, digest, label=label) for _ in range(REPEATS)]
            middle = sorted(runs, key=lambda s: s.seconds)[REPEATS // 2]
            with meter.counting_loads():  # one more render, untimed, for the ORM objects it loads
                middle.loads = render_one(meter, store.runner, store.engine, digest, label=label).loads
            samples.append(middle)
    return samples


@dataclass
class Posting:
    runs: list[tuple[str, float, int]]  # (outcome, seconds, statements)
    again: list[tuple[str, float, int]]
    stored: int
    stored_after_again: int
    wall: float


async def post_subset(store: Store, meter: Meter, digests: list[Digest]) -> Posting:
    """DigestRunner.run for each digest at its period + 30 s, posting to FakeSlack over HTTP; then once more."""
    async with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack:
        for d in digests:
            if not d.personal:
                slack.add_channel(d.channel_id, d.channel_id.lower())
        settings = load_settings({"DATABASE_URL": store.url, "SLACK_BOT_TOKEN": BOT_TOKEN,
                                  "SLACK_API_URL": slack.base_url})  # fmt: skip
        herald = make_herald(settings, store.engine, clock=lambda: NOW)
        runner = DigestRunner(herald)
        await herald.slack.auth_test()  # opens the client's HTTP session; excluded

        async def one(d: Digest) -> tuple[str, float, int]:
            period = schedule_of(d).last_fire(NOW)
            meter.reset()
            meter.on = True
            started = time.perf_counter()
            outcome = await runner.run(d.id, now=period + timedelta(seconds=30))
            elapsed = time.perf_counter() - started
            meter.on = False
            return outcome, elapsed, meter.statements

        started = time.perf_counter()
        runs = [await one(d) for d in digests]
        wall = time.perf_counter() - started
        stored = sum(len(m) for m in slack.messages.values())
        again = [await one(d) for d in digests]
        return Posting(runs, again, stored, sum(len(m) for m in slack.messages.values()), wall)


# --------------------------------------------------------------------------- report


def report_store(store: Store, digests: list[Digest]) -> None:
    w, c = store.world, store.world.counts
    print(f"store: {store.label}")
    print(f"  rows: launch {c['launch']:,}, launch_change {c['launch_change']:,} ({w.month_changes:,} in the last "
          f"30 days, {w.month_digest_changes:,} of them digest fields), checklist_item {c['checklist_item']:,}, "
          f"release {c['release']:,}")  # fmt: skip
    print(f"        component {c['component']:,} ({w.gaps} gaps), contact {c['contact']:,}, team {c['team']}, "
          f"team_member {c['team_member']:,}; {w.launched_in_month} launches went live this month; "
          f"seeded in {w.seconds:.1f} s")  # fmt: skip
    if digests:
        kinds = Counter(kind_of(d) for d in digests)
        cadences = Counter(cadence_of(d) for d in digests)
        zones = Counter(d.timezone for d in digests)
        print(f"  digests: {len(digests):,}; filters {dict(kinds.most_common())}")
        print(f"           schedules {dict(cadences.most_common())}; {len(zones)} zones "
              f"{dict(zones.most_common())}; always {sum(d.always for d in digests)}")  # fmt: skip


def report_build(samples: list[Sample], wall: float, worker_walls: list[float]) -> None:
    ms = [s.seconds * 1000 for s in samples]
    total = sum(s.seconds for s in samples)
    statements = [s.statements for s in samples]
    print(f"(a) build: DigestRunner.render for {len(samples):,} digests, period = last fire at or before "
          f"{NOW:%a %Y-%m-%d %H:%M} UTC, now = that fixed time; one fresh Session each")  # fmt: skip
    print(f"  total build time {total:.2f} s (sum of the {len(samples):,} renders, i.e. one process doing them all); "
          f"wall {wall:.2f} s with {len(worker_walls)} worker process(es) "
          f"(render loops {', '.join(f'{w:.1f}' for w in worker_walls)} s)")  # fmt: skip
    print(f"  per digest: p50 {pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.2f} ms, max {max(ms):.2f} ms; "
          f"over {SLOW_MS:.0f} ms: {sum(m > SLOW_MS for m in ms)}")  # fmt: skip
    print(f"  SQL statements per digest: min {min(statements)}, max {max(statements)}, "
          f"mean {statistics.fmean(statements):.2f}; total {sum(statements):,}")  # fmt: skip
    print(f"  messages: {sum(s.posted for s in samples)} rendered, {sum(not s.posted for s in samples)} empty "
          f"(not posted), {sum(s.truncated for s in samples)} with a section cut at Slack's 3,000 characters")
    sql = sum(s.sql for s in samples)
    content = sum(s.content_seconds for s in samples)
    message = sum(s.message_seconds for s in samples)
    print(f"  where the time goes: SQL execution {sql:.2f} s ({sql / total:.0%}), rest of digests.content() "
          f"(rows -> ORM objects, gaps filtering) {content - sql:.2f} s ({(content - sql) / total:.0%}), template "
          f"+ Block Kit fit {message:.2f} s ({message / total:.0%}), other (schedule, render glue) "
          f"{total - content - message:.2f} s ({(total - content - message) / total:.0%})")  # fmt: skip
    print()

    print("  by filter")
    header = (f"  {'filter':<15} {'n':>4} {'stmts':>6} {'launches p50/max':>17} {'changes p50/max':>16} "
              f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'SQL ms p50':>10} {'empty':>5}")  # fmt: skip
    print(header)
    for kind in sorted({s.kind for s in samples}, key=lambda k: -sum(s.kind == k for s in samples)):
        group = [s for s in samples if s.kind == kind]
        g_ms = [s.seconds * 1000 for s in group]
        st = sorted({s.statements for s in group})
        stmts = f"{st[0]}" if len(st) == 1 else f"{st[0]}-{st[-1]}"
        lp = f"{pct([s.launches for s in group], 50):.0f}/{max(s.launches for s in group)}"
        cp = f"{pct([s.changes for s in group], 50):.0f}/{max(s.changes for s in group)}"
        print(f"  {kind:<15} {len(group):>4} {stmts:>6} {lp:>17} {cp:>16} {pct(g_ms, 50):>7.2f} "
              f"{pct(g_ms, 99):>7.2f} {max(g_ms):>7.2f} {pct([s.sql * 1000 for s in group], 50):>10.2f} "
              f"{sum(not s.posted for s in group):>5}")  # fmt: skip
    print()

    print("  SQL statements per digest vs the size of the digest (launches in it: changed, at risk or coming up),")
    print("  per filter kind: statements (digests)")
    kinds = sorted({s.kind for s in samples}, key=lambda k: -sum(s.kind == k for s in samples))
    buckets = ((0, 0, "0"), (1, 9, "1-9"), (10, 49, "10-49"), (50, 199, "50-199"), (200, 999, "200-999"),
               (1000, 10**9, "1000+"))  # fmt: skip
    cell = max(11, *(len(k) for k in kinds))
    print(f"  {'launches':<9} {'n':>4} {'changes':>10} {'p50 ms':>7}  " + " ".join(f"{k:>{cell}}" for k in kinds))
    for low, high, name in buckets:
        group = [s for s in samples if low <= s.launches <= high]
        if not group:
            continue
        cells = []
        for kind in kinds:
            mine = [s.statements for s in group if s.kind == kind]
            counts = sorted(set(mine))
            text = "-" if not mine else f"{'/'.join(map(str, counts))} ({len(mine)})"
            cells.append(f"{text:>{cell}}")
        changes = f"{min(s.changes for s in group)}-{max(s.changes for s in group)}"
        print(f"  {name:<9} {len(group):>4} {changes:>10} {pct([s.seconds * 1000 for s in group], 50):>7.2f}  "
              + " ".join(cells))
    steady = all(len({s.statements for s in samples if s.kind == k}) == 1 for k in kinds)
    print(f"  one statement count per filter kind, whatever the digest's size: {'yes' if steady else 'NO'}")
    print()

    slowest = sorted(samples, key=lambda s: -s.seconds)[:5]
    print("  slowest digests")
    print(f"  {'id':>5} {'filter':<15} {'cadence':<8} {'ms':>7} {'SQL ms':>7} {'content ms':>10} {'template ms':>11} "
          f"{'stmts':>5}  sections (changed/at risk/upcoming/shipped/gaps), changes")  # fmt: skip
    for s in slowest:
        sec = s.sections
        print(f"  {s.digest_id:>5} {s.kind:<15} {s.cadence:<8} {s.seconds * 1000:>7.2f} {s.sql * 1000:>7.2f} "
              f"{s.content_seconds * 1000:>10.2f} {s.message_seconds * 1000:>11.2f} {s.statements:>5}  "
              f"{sec['changed']}/{sec['at_risk']}/{sec['upcoming']}/{sec['shipped']}/{sec['gaps']}, {s.changes}")
    print()


def report_comparison(big: Store, big_samples: list[Sample], small: Store, small_samples: list[Sample]) -> None:
    b, s = big.world.counts, small.world.counts
    print(f"(b) the same digests against {s['launch']:,} and {b['launch']:,} launches "
          f"(launch_change {s['launch_change']:,} vs {b['launch_change']:,}; same directory), "
          f"median of {REPEATS} renders")  # fmt: skip
    width = max(len(x.label) for x in big_samples)
    print(f"  {'digest':<{width}}  {'launches':>13} {'changes':>13} {'statements':>12} {'ms':>15}")
    print(f"  {'':<{width}}  {'small / big':>13} {'small / big':>13} {'small / big':>12} {'small / big':>15}")
    for x, y in zip(small_samples, big_samples, strict=True):
        print(f"  {x.label:<{width}}  {x.launches:>6} /{y.launches:>5} {x.changes:>6} /{y.changes:>5} "
              f"{x.statements:>5} /{y.statements:>4} {x.seconds * 1000:>7.2f} /{y.seconds * 1000:>6.2f}")
    print("  ORM objects one render loads, big store (small store)")
    for x, y in zip(small_samples, big_samples, strict=True):
        names = sorted(set(x.loads) | set(y.loads), key=lambda n: -y.loads[n])
        print(f"  {y.label:<{width}}  " + ", ".join(f"{n} {y.loads[n]:,} ({x.loads[n]:,})" for n in names))
    same = all(x.statements == y.statements for x, y in zip(small_samples, big_samples, strict=True))
    print(f"  statements the same for every digest: {'yes' if same else 'NO'}")
    print()


def report_posting(posting: Posting) -> None:
    outcomes = Counter(o for o, _s, _n in posting.runs)
    again = Counter(o for o, _s, _n in posting.again)
    print(f"(c) posting: DigestRunner.run for the first {len(posting.runs)} digests, each at its period + 30 s, "
          f"to FakeSlack over HTTP")  # fmt: skip
    print(f"  outcomes {dict(outcomes.most_common())}; wall {posting.wall:.2f} s; messages stored by the fake "
          f"{posting.stored}")  # fmt: skip
    print(f"  {'outcome':<8} {'n':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'statements':>10}")
    for outcome, _n in outcomes.most_common():
        runs = [(sec, n) for o, sec, n in posting.runs if o == outcome]
        ms = [sec * 1000 for sec, _n in runs]
        st = sorted({n for _s, n in runs})
        print(f"  {outcome:<8} {len(runs):>4} {pct(ms, 50):>7.2f} {pct(ms, 99):>7.2f} {max(ms):>7.2f} "
              f"{(str(st[0]) if len(st) == 1 else f'{st[0]}-{st[-1]}'):>10}")  # fmt: skip
    ms = [sec * 1000 for _o, sec, _n in posting.again]
    print(f"  run again: outcomes {dict(again.most_common())}; p50 {pct(ms, 50):.2f} ms; messages stored "
          f"{posting.stored_after_again} (new: {posting.stored_after_again - posting.stored})")  # fmt: skip
    print()


def profile_slowest(store: Store, meter: Meter, digest_id: int) -> None:
    with Session(store.engine) as session:
        digest = session.get(Digest, digest_id)
    profiler = cProfile.Profile()
    with instrumented(meter, store.herald):
        profiler.enable()
        render_one(meter, store.runner, store.engine, digest)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(f"cProfile of digest {digest_id} (top 15 by own time)")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
    print()


def bench(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    meter = Meter()
    with bench_store(args.database_url) as (url, _label):
        big = open_store(url, meter, launches=args.launches, seed_value=args.seed)
        try:
            rows = digest_rows(big.world, random.Random(args.seed + 1), args.digests)
            with big.engine.begin() as connection:
                connection.execute(sqlalchemy.insert(Digest.__table__), rows)
            with Session(big.engine) as session:
                digests = list(session.exec(select(Digest).order_by(Digest.id)).all())
            samples, wall, worker_walls = build_all(big, digests, args.workers)
            gaps_ms, gaps_rows, gaps_found = gaps_cost(big)
            definitions = comparison_digests(big.world)
            big_compare = compare(big, meter, definitions)
            posting = asyncio.run(post_subset(big, meter, digests[: args.post])) if args.post else None
            print(f"Herald digests; Python {platform.python_version()}, {platform.system()}, {os.cpu_count()} CPUs")
            print()
            report_store(big, digests)
            print()
            report_build(samples, wall, worker_walls)
            print(f"  directory.gaps() alone (called by every digest without personal or stage:): "
                  f"{gaps_ms:.2f} ms median, loading all {gaps_rows:,} components (+ contacts) to find "
                  f"{gaps_found} gaps")  # fmt: skip
            print()
            if args.profile:
                profile_slowest(big, meter, max(samples, key=lambda s: s.seconds).digest_id)
        finally:
            big.engine.dispose()
    with bench_store(args.database_url) as (url, _label):
        small = open_store(url, meter, launches=args.small, seed_value=args.seed)
        try:
            small_compare = compare(small, meter, definitions)
            report_store(small, [])
            print()
            report_comparison(big, big_compare, small, small_compare)
        finally:
            small.engine.dispose()
    if posting is not None:
        report_posting(posting)
    print(f"total run time {time.perf_counter() - started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL (scratch databases are created and "
                        "dropped on it); default: temporary SQLite files")  # fmt: skip
    parser.add_argument("--launches", type=int, default=LAUNCHES, help=f"launches in the main store ({LAUNCHES:,})")
    parser.add_argument("--small", type=int, default=SMALL, help=f"launches in the comparison store ({SMALL})")
    parser.add_argument("--digests", type=int, default=DIGESTS, help=f"digest subscriptions ({DIGESTS:,})")
    parser.add_argument("--post", type=int, default=POST,
                        help=f"digests run through DigestRunner.run ({POST}; 0: none)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes rendering the 1,000 digests (default: 2, or 1 on one CPU)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the data (default 7)")
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest digest")
    args = parser.parse_args(argv)
    if min(args.launches, args.small, args.digests, args.workers) < 1 or args.post < 0:
        parser.error("--launches, --small, --digests and --workers must be at least 1, --post at least 0")
    logging.basicConfig(level=logging.WARNING)
    bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
