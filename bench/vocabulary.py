"""Words and mixes the benchmarks build their worlds from (launches, a directory, digest subscriptions), so every
benchmark's data reads alike."""

from random import Random

from bot.launches.models import Risk, Stage

AREAS = (
    "Checkout", "Onboarding", "Search", "Billing", "Payments", "Mobile", "Android", "iOS", "Analytics",
    "Notifications", "Dashboard", "Pricing", "Referral", "Catalog", "Inbox", "Calendar", "Reporting",
    "SSO", "Admin console", "Export", "Sharing", "Comments", "Localization", "Accessibility", "Webhooks",
    "API", "Data residency", "Audit log", "Invoicing", "Marketplace",
)  # fmt: skip
THINGS = (
    "redesign", "v2", "beta", "GA", "rollout", "migration", "revamp", "dark mode", "EU launch",
    "self-serve", "for teams", "enterprise tier", "overhaul", "refresh", "pilot", "2.0", "fast path",
    "offline mode", "usage limits", "bulk actions",
)  # fmt: skip
RISK_REASONS = (
    "vendor contract not signed", "QA behind schedule", "legal review pending", "waiting on design",
    "load test failed at 2x traffic", "key engineer on leave", "dependency on platform team release",
    "security review found two issues", "App Store review rejected build", "pricing not approved",
)  # fmt: skip
# (stage, weight): most launches are in flight, a good share already shipped, a few cancelled.
STAGE_MIX = ((Stage.PLANNING, 18), (Stage.BUILDING, 30), (Stage.BETA, 14), (Stage.READY, 8),
             (Stage.LAUNCHED, 25), (Stage.CANCELLED, 5))  # fmt: skip
RISK_MIX = ((Risk.ON_TRACK, 75), (Risk.AT_RISK, 17), (Risk.BLOCKED, 8))
DONE_BY_STAGE = {Stage.PLANNING: (0, 1), Stage.BUILDING: (0, 3), Stage.BETA: (2, 4), Stage.READY: (4, 5),
                 Stage.LAUNCHED: (5, 5), Stage.CANCELLED: (0, 3)}  # fmt: skip
STAGE_ORDER = [Stage.PLANNING, Stage.BUILDING, Stage.BETA, Stage.READY, Stage.LAUNCHED]

# The directory of the shared world (bench/world.py): teams are "<area> <kind>", components "<area>-<part>[-<variant>]".
TEAM_KINDS = ("core", "web", "apps", "platform", "growth")
COMPONENT_PARTS = ("api", "worker", "web", "service", "sync", "gateway", "db", "ui", "jobs", "ingest", "exporter",
                   "scheduler", "cache", "search-index")  # fmt: skip
COMPONENT_VARIANTS = ("", "eu", "us", "v2", "legacy")
TAGS = ("mobile", "web", "payments", "platform", "data", "infra", "security", "growth", "internal", "api")
# Changes a launch sees in a month, by stage: busy while building/in beta, quiet once done.
MONTHLY_CHANGES = {Stage.PLANNING: 3.0, Stage.BUILDING: 5.0, Stage.BETA: 6.0, Stage.READY: 5.0,
                   Stage.LAUNCHED: 1.0, Stage.CANCELLED: 0.7}  # fmt: skip
# (kind, weight) of a change in the month; "noise" is owner/channel/checklist, not shown in digests.
CHANGE_MIX = (("target", 30), ("stage", 18), ("risk", 20), ("noise", 32))

# Digest subscriptions as people type them: `daily 09:00 Europe/Berlin team:payments-core`.
ZONES = (("UTC", 10), ("", 10), ("Europe/Berlin", 20), ("Europe/London", 12), ("America/New_York", 16),
         ("America/Los_Angeles", 10), ("America/Sao_Paulo", 4), ("Asia/Kolkata", 6), ("Asia/Tokyo", 6),
         ("Australia/Sydney", 6))  # fmt: skip  ("" = no zone typed: Herald's default, UTC)
SCHEDULES = (("daily", 40), ("weekdays", 18), ("weekly", 36), ("cron", 6))
AT = ("08:00", "08:30", "09:00", "09:00", "09:30", "10:00", "16:30", "17:00")
CRONS = ("30 8 * * 1,3,5", "0 9 * * 1", "0 16 * * 5", "15 7 * * 1-5")
FILTER_MIX = (("none", 20), ("team", 25), ("component", 12), ("stage", 9), ("tag", 9), ("team+stage", 5),
              ("personal", 17), ("personal+stage", 3))  # fmt: skip


def pick(rng: Random, mix):
    """One value of a ((value, weight), ...) mix."""
    values, weights = zip(*mix, strict=True)
    return rng.choices(values, weights)[0]
