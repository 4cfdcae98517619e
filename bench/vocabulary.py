"""Words and mixes the benchmarks build realistic launches from, shared so every benchmark's data reads alike."""

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
