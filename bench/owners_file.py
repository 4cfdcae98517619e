"""The ownership benchmark's directory: a generated owners.yaml file, and the queries asked of it.

generate() makes a realistic directory (seeded, so every run is the same): teams with members, and
components with product-style names ("checkout-api", "Fraud Scoring Worker", "ledger-sync-eu"), one to
three aliases (codenames, short forms, old names) and tags each, owned by people known by e-mail.
write_yaml() writes it as one Herald owners file, for `herald import owners` to read as it reads any.
make_queries() asks for entries as people do: exact names, names with one typo, aliases, and misses.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.matching import slugify

COMPONENTS = 20_000
TEAMS = 2_000
PEOPLE = 3_000
NOT_IN_SLACK = 40

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
    lines = ["# Generated by bench/owners_file.py", "teams:"]
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
