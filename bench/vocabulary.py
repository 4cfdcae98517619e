"""Words the benchmarks build realistic launch names from, shared so every benchmark's data reads alike."""

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
