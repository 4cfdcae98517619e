"""The benchmarks' world: one seeded generator of a realistic store, bulk-inserted with SQLAlchemy Core.

build_world() writes, for a given `now` (every run with the same seed and `now` is the same):

* an ownership directory: 60 teams, 600 contacts (400 launch owners and 150 other people in Slack,
  30 people not found in Slack, 20 deactivated), 2,000 components with tags, about 3 % of them "gaps"
  (no primary contact, or one who left or is not in Slack). The directory depends on the seed only,
  not on the number of launches, so two worlds of different sizes share it;
* `launches` launches with realistic stages, risks, targets and owners (a few people own many),
  5 checklist items each, and a month of history written backwards from each launch's current
  state, so that it adds up: stage moves, target slips (and a few pull-ins), risk changes with their
  "risk reason" rows, and owner/channel/checklist noise; launches created during the month have their
  "created" row, about 30 % of launched launches went live during the month (a stage move to launched,
  and the launch's own release, as bot.releases announces a launch). Older history (up to 14 months
  back) sits in the same table; bench/history.py writes both;
* releases over the month and the five months before for directory components, with tags, some
  prereleases, some withdrawn, a few scheduled after `now`.

digest_subscriptions() adds digests typed as people type them, read with Herald's own parsers.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy
from sqlmodel import Session, select

from bench.history import MONTH, month_history, older_history
from bench.vocabulary import (
    AREAS,
    AT,
    COMPONENT_PARTS,
    COMPONENT_VARIANTS,
    CRONS,
    DONE_BY_STAGE,
    FILTER_MIX,
    RISK_MIX,
    RISK_REASONS,
    SCHEDULES,
    STAGE_MIX,
    TAGS,
    TEAM_KINDS,
    THINGS,
    ZONES,
    pick,  # fmt: skip
)
from bot.core.matching import slugify
from bot.digests.content import DIGEST_FIELDS
from bot.digests.models import Digest
from bot.digests.schedules import parse_schedule
from bot.digests.service import parse_options
from bot.directory.models import Component, Contact, Team, TeamMember
from bot.launches.changes import DEFAULT_CHECKLIST
from bot.launches.models import ChecklistItem, Launch, LaunchChange, Risk, Stage
from bot.releases.models import Release

TEAMS, OWNERS, OTHERS, NOT_IN_SLACK, DEACTIVATED, COMPONENTS = 60, 400, 150, 30, 20, 2_000
RELEASES = 4_500  # of directory components: ~1,500 in the month, the rest in the five months before, 20 ahead
TABLES = (Launch, ChecklistItem, LaunchChange, Release, Component, Contact, Team, TeamMember, Digest)


@dataclass
class World:
    """What was seeded, and what digests and requests can name."""

    now: datetime
    owners: list[str]
    team_keys: list[str]
    team_of: dict[str, str]  # owner -> their (first) team key
    component_keys: list[str]
    launch_names: list[str]
    owned: Counter[str]  # owner -> launches owned
    active: int = 0  # launches in an active stage
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows
    month_changes: int = 0
    month_digest_changes: int = 0
    launched_in_month: int = 0
    gaps: int = 0
    seconds: float = 0.0

    @property
    def launch_keys(self) -> list[str]:
        return [slugify(name) for name in self.launch_names]


def build_world(engine: sqlalchemy.Engine, *, launches: int, seed: int, now: datetime) -> World:
    """Bulk-insert the directory, launches, checklists, history and releases; ANALYZE on PostgreSQL."""
    started = time.perf_counter()
    with engine.begin() as connection:
        owners, team_keys, team_of, gaps = _directory(connection, random.Random(seed), now)
        table = Component.__table__
        components = connection.execute(sqlalchemy.select(table.c.key, table.c.name, table.c.tags)
                                        .order_by(table.c.id)).all()  # fmt: skip

    rng = random.Random(seed * 1_000 + launches)
    names = launch_names(rng, launches)
    rows, launched_at = _launches(rng, names, owners, now)
    history_by_key = {}
    for row in rows:
        month = month_history(rng, row, owners, launched_at.get(row["key"]), now)
        history_by_key[row["key"]] = older_history(rng, row, owners, now) + month
        if history_by_key[row["key"]]:
            row["updated_at"] = max(h["at"] for h in history_by_key[row["key"]])
    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(Launch.__table__), rows)
        ids = dict(connection.execute(sqlalchemy.select(Launch.__table__.c.key, Launch.__table__.c.id)).all())

    items, history = [], []
    for row in rows:
        launch_id = ids[row["key"]]
        low, high = DONE_BY_STAGE[Stage(row["stage"])]
        done = rng.randint(low, high)
        for position, label in enumerate(DEFAULT_CHECKLIST, start=1):
            done_at = row["created_at"] + (now - row["created_at"]) * rng.random() if position <= done else None
            items.append({"launch_id": launch_id, "position": position, "label": label, "done": position <= done,
                          "done_by": row["owner_id"] if position <= done else None, "done_at": done_at})  # fmt: skip
        history.extend({"launch_id": launch_id, **h} for h in history_by_key[row["key"]])
    history.sort(key=lambda h: h["at"])  # ids in time order, as an append-only log has them
    releases = _releases(rng, rows, ids, launched_at, components, now)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(ChecklistItem.__table__), items)
        connection.execute(sqlalchemy.insert(LaunchChange.__table__), history)
        connection.execute(sqlalchemy.insert(Release.__table__), releases)
    analyze(engine)

    in_month = [h for h in history if h["at"] > now - MONTH]
    return World(
        now=now, owners=owners, team_keys=team_keys, team_of=team_of, component_keys=[c[0] for c in components],
        launch_names=names, owned=Counter(r["owner_id"] for r in rows if r["owner_id"]), counts=row_counts(engine),
        active=sum(Stage(r["stage"]).is_active for r in rows),
        month_changes=len(in_month), month_digest_changes=sum(h["field"] in DIGEST_FIELDS for h in in_month),
        launched_in_month=len(launched_at), gaps=gaps, seconds=time.perf_counter() - started,
    )  # fmt: skip


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


def row_counts(engine: sqlalchemy.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {model.__tablename__: connection.execute(sqlalchemy.select(sqlalchemy.func.count())
                                                        .select_from(model.__table__)).scalar_one()
                for model in TABLES}  # fmt: skip


def analyze(engine: sqlalchemy.Engine) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL; SQLite plans without them)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sqlalchemy.text("ANALYZE"))


def digest_subscriptions(engine: sqlalchemy.Engine, world: World, *, count: int, seed: int) -> list[Digest]:
    """`count` digests as people type them (`daily 09:00 Europe/Berlin team:payments-core`), read with Herald's
    parse_schedule and parse_options; inserted, and returned in id order."""
    rng = random.Random(seed)
    rows = []
    personal_owners = [o for o, _n in world.owned.most_common()]
    rng.shuffle(personal_owners)
    for n in range(count):
        kind = pick(rng, FILTER_MIX)
        if kind.startswith("personal") and not personal_owners:
            kind = "none"
        when = pick(rng, SCHEDULES)
        words = [when]
        if when == "weekly":
            words += [rng.choice(("mon", "mon", "mon", "fri", "wed")), rng.choice(AT)]
        else:
            words.append(rng.choice(CRONS) if when == "cron" else rng.choice(AT))
        if zone := pick(rng, ZONES):
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
        schedule, rest = parse_schedule(words, default_timezone="UTC", now=world.now)
        filters, always, _insights = parse_options(rest)
        personal = kind.startswith("personal")
        rows.append({"channel_id": personal_owners.pop() if personal else f"C0DG{n:06d}", "personal": personal,
                     "cron": schedule.cron, "timezone": schedule.timezone, "filters": filters, "always": always,
                     "created_by": world.owners[n % len(world.owners)], "created_at": world.now - MONTH})  # fmt: skip
    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(Digest.__table__), rows)
    world.counts = row_counts(engine)
    with Session(engine) as session:
        return list(session.exec(select(Digest).order_by(Digest.id)).all())


# --------------------------------------------------------------------------- the parts


def _directory(connection: sqlalchemy.Connection, rng: random.Random, now: datetime
               ) -> tuple[list[str], list[str], dict[str, str], int]:  # fmt: skip
    """Teams, contacts, memberships and components; returns (owners, team keys, owner -> team, gaps)."""
    team_names = [f"{area} {kind}" for area in rng.sample(AREAS, len(AREAS)) for kind in rng.sample(TEAM_KINDS, 2)]
    teams = [{"key": slugify(n), "name": n, "display_name": f"{n.title()} team", "slack_group": f"@{slugify(n)}",
              "channel": f"C0T{i:06d}", "escalation": None, "source": "owners.yaml", "updated_at": now - MONTH * 3}
             for i, n in enumerate(team_names[:TEAMS])]  # fmt: skip
    connection.execute(sqlalchemy.insert(Team.__table__), teams)
    team_ids = dict(connection.execute(sqlalchemy.select(Team.__table__.c.key, Team.__table__.c.id)
                                       .order_by(Team.__table__.c.id)).all())  # fmt: skip

    owners = [f"U0OWN{n:04d}" for n in range(OWNERS)]
    people = owners + [f"U0PPL{n:04d}" for n in range(OTHERS)]
    checked = now - timedelta(hours=5)
    contacts = [{"ref": f"{u.lower()}@example.com", "slack_user_id": u, "display_name": f"Person {u[-4:]}",
                 "deactivated": False, "checked_at": checked} for u in people]  # fmt: skip
    contacts += [{"ref": f"ghost{n}@example.com", "slack_user_id": None, "display_name": None, "deactivated": False,
                  "checked_at": checked} for n in range(NOT_IN_SLACK)]  # fmt: skip
    contacts += [{"ref": f"gone{n}@example.com", "slack_user_id": f"U0GON{n:04d}", "display_name": f"Left {n}",
                  "deactivated": True, "checked_at": checked} for n in range(DEACTIVATED)]  # fmt: skip
    connection.execute(sqlalchemy.insert(Contact.__table__), contacts)
    contact_ids = dict(connection.execute(sqlalchemy.select(Contact.__table__.c.ref, Contact.__table__.c.id)).all())
    by_user = {c["slack_user_id"]: contact_ids[c["ref"]] for c in contacts if c["slack_user_id"]}

    keys = list(team_ids)
    team_of: dict[str, str] = {}
    members: set[tuple[int, int]] = set()
    for person in people:
        first = rng.choice(keys)
        team_of.setdefault(person, first)
        members.add((team_ids[first], by_user[person]))
        if rng.random() < 0.15:  # some people sit in two teams
            members.add((team_ids[rng.choice(keys)], by_user[person]))
    connection.execute(sqlalchemy.insert(TeamMember.__table__),
                       [{"team_id": t, "contact_id": c} for t, c in sorted(members)])  # fmt: skip

    good = [by_user[u] for u in people]
    bad = [contact_ids[c["ref"]] for c in contacts if not c["slack_user_id"] or c["deactivated"]]
    names = [f"{slugify(a)}-{p}" + (f"-{v}" if v else "") for a in AREAS for p in COMPONENT_PARTS
             for v in COMPONENT_VARIANTS]  # fmt: skip
    rng.shuffle(names)
    components, gaps = [], 0
    for name in names[:COMPONENTS] + [f"service-{i}" for i in range(COMPONENTS - len(names))]:
        roll = rng.random()
        primary = None if roll < 0.015 else rng.choice(bad) if roll < 0.04 else rng.choice(good)
        gaps += primary is None or primary in bad
        components.append({
            "key": slugify(name), "name": name, "kind": "component", "description": f"The {name} component.",
            "aliases": [], "tags": sorted(rng.sample(TAGS, rng.choice((1, 1, 2, 3)))),
            "team_id": team_ids[rng.choice(keys)] if rng.random() < 0.95 else None,
            "primary_contact_id": primary, "backup_contact_id": rng.choice(good) if rng.random() < 0.6 else None,
            "channel": None, "escalation": None, "runbook_url": None, "repo_url": f"https://git.example.com/{name}",
            "source": "owners.yaml", "updated_at": now - timedelta(days=rng.uniform(1, 200)),
        })  # fmt: skip
    connection.execute(sqlalchemy.insert(Component.__table__), components)
    return owners, keys, team_of, gaps


def _launches(rng: random.Random, names: list[str], owners: list[str], now: datetime
              ) -> tuple[list[dict[str, Any]], dict[str, datetime]]:  # fmt: skip
    """Launch rows, and when each launch that went live during the month did."""
    today, month_start = now.date(), now - MONTH
    owner_weights = [rng.paretovariate(1.6) for _ in owners]  # a few people run many launches
    rows, launched_at = [], {}
    for name in names:
        stage = pick(rng, STAGE_MIX)
        risk = pick(rng, RISK_MIX) if stage.is_active else Risk.ON_TRACK
        created_at = now - timedelta(days=rng.uniform(0.5, 420))
        if stage is Stage.LAUNCHED and created_at < month_start - timedelta(days=20) and rng.random() < 0.3:
            went_live = now - MONTH * rng.random()
            launched_at[slugify(name)] = went_live
            target: date | None = went_live.date() + timedelta(days=rng.randint(-5, 5))
        elif stage is Stage.LAUNCHED:
            target = today - timedelta(days=rng.randint(31, 300))
        elif stage is Stage.CANCELLED or rng.random() < 0.12:
            target = None
        else:
            target = today + timedelta(days=rng.randint(-20, 150))  # some overdue, most ahead
        owner = rng.choices(owners, owner_weights)[0] if rng.random() < 0.96 else None
        channel = f"C0L{rng.randint(0, 99):06d}" if rng.random() < 0.6 else None
        rows.append({
            "key": slugify(name), "name": name, "name_key": slugify(name), "stage": stage.value, "target_date": target, "owner_id": owner,
            "risk": risk.value, "risk_reason": rng.choice(RISK_REASONS) if risk is not Risk.ON_TRACK else None,
            "channel_id": channel, "thread_ts": f"1700{rng.randint(0, 10**6):06d}.000100" if channel else None,
            "created_by": owner or rng.choice(owners), "created_at": created_at, "updated_at": created_at,
        })  # fmt: skip
    return rows, launched_at


def _releases(rng: random.Random, rows: list[dict[str, Any]], ids: dict[str, int], launched_at: dict[str, datetime],
              components: list, now: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """A release per launch that went live (as Herald records a launch going live), and component releases."""
    releases = []
    for row in rows:
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
    weights = [rng.paretovariate(1.2) for _ in components]
    versions: Counter[str] = Counter()
    for n in range(RELEASES):
        key, name, tags = rng.choices(components, weights)[0]
        if n < RELEASES - 20:
            at = now - timedelta(days=30 if n < 1_500 else 180) * rng.random()
        else:
            at = now + timedelta(hours=rng.uniform(1, 72))  # scheduled ahead
        versions[key] += 1
        releases.append({
            "component": key, "component_name": name, "version": f"1.{versions[key]}.0",
            "title": rng.choice((None, "Faster exports", "Bug fixes", "New settings page", "EU region")),
            "notes": "## What changed\n- Things", "link": f"https://git.example.com/{key}/releases/{versions[key]}",
            "tags": list(tags), "prerelease": rng.random() < 0.1, "announce_at": at, "fanned_out": at <= now,
            "withdrawn": rng.random() < 0.02, "revision": 1,
            "source": rng.choice(("github", "github", "cli", "webhook")),
            "external_id": f"gh:{key}:{versions[key]}", "created_by": "U0BOT", "created_at": min(at, now),
        })  # fmt: skip
    return releases
