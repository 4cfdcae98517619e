"""A realistic demo workspace: launches at every stage, with slips, risks and half-done checklists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from bot.core.matching import slugify
from bot.directory.index import touch
from bot.directory.models import Component, Contact, Team
from bot.launches.changes import create_launch
from bot.launches.models import Launch, LaunchChange, Risk, Stage

DEMO_USERS = {
    "U0DEMOAVA": "ava (product ops)",
    "U0DEMOBEN": "ben (payments eng)",
    "U0DEMOCHI": "chiara (growth PM)",
    "U0DEMODEV": "devon (mobile lead)",
    "U0DEMOEMI": "emi (support lead)",
    "U0DEMOFIN": "finn (left the company)",
}
DEPARTED = {"U0DEMOFIN"}
DEMO_CHANNELS = {"C0DEMOLAUNCH": "launches", "C0DEMOPAY": "payments", "C0DEMOMOB": "mobile"}
CONSOLE_USER = "U0DEMOAVA"


@dataclass(frozen=True)
class DemoLaunch:
    name: str
    stage: Stage
    target_in_days: int | None
    owner: str
    risk: Risk = Risk.ON_TRACK
    risk_reason: str | None = None
    channel: str | None = None
    done: int = 0
    slips: tuple[int, ...] = ()  # days added to the target at each slip, oldest first


# The console's user (@ava) owns one launch, so their App Home has an Update button to try.
DEMO_LAUNCHES = (
    DemoLaunch("Checkout v2", Stage.BETA, 12, "U0DEMOBEN", Risk.AT_RISK,
               "Payment provider certification is two weeks behind", "C0DEMOPAY", 3, (7, 2)),
    DemoLaunch("Billing portal", Stage.BUILDING, 30, "U0DEMOBEN", channel="C0DEMOPAY", done=1),
    DemoLaunch("Android offline mode", Stage.BUILDING, 21, "U0DEMODEV", Risk.BLOCKED,
               "Waiting on the sync API from the platform team", "C0DEMOMOB", 1, (14,)),
    DemoLaunch("iOS widgets", Stage.READY, 3, "U0DEMODEV", channel="C0DEMOMOB", done=5),
    DemoLaunch("Referral program", Stage.PLANNING, 60, "U0DEMOCHI"),
    DemoLaunch("Pricing page refresh", Stage.BETA, 7, CONSOLE_USER, channel="C0DEMOLAUNCH", done=4, slips=(5,)),
    DemoLaunch("Help center search", Stage.PLANNING, None, "U0DEMOEMI"),
    DemoLaunch("Dark mode", Stage.LAUNCHED, -10, "U0DEMODEV", done=5),
)


# (name, kind, team, primary, backup, aliases, description)
DEMO_COMPONENTS = (
    ("Billing API", "service", "Payments", "U0DEMOBEN", "U0DEMOAVA", ["billing", "invoices"], "Invoices and subscriptions"),
    ("Checkout", "service", "Payments", "U0DEMOBEN", None, ["payments/checkout"], "The web checkout flow"),
    ("Android app", "app", "Mobile", "U0DEMODEV", None, ["android"], "The Android client"),
    ("iOS app", "app", "Mobile", "U0DEMODEV", None, ["ios", "iphone"], "The iOS client"),
    ("Referrals", "service", "Growth", "U0DEMOCHI", None, ["invites"], "Referral codes and rewards"),
    ("Help center", "website", "Support", "U0DEMOEMI", None, ["zendesk", "help"], "Public help articles"),
    ("Search indexer", "service", "Platform", "U0DEMOFIN", None, ["search"], "Builds the search index nightly"),
)
DEMO_TEAMS = {"Payments": "C0DEMOPAY", "Mobile": "C0DEMOMOB", "Growth": None, "Support": None, "Platform": None}


def seed_demo(session: Session, *, today: date) -> int:
    """Add the demo launches and directory entries that are not there yet; return how many launches."""
    existing = set(session.exec(select(Launch.key)).all())
    added = 0
    for demo in DEMO_LAUNCHES:
        if slugify(demo.name) in existing:
            continue
        _add(session, demo, today)
        added += 1
    _add_directory(session)
    return added


def _add_directory(session: Session) -> None:
    if session.exec(select(Component.id)).first():
        return
    teams = {name: Team(key=slugify(name), name=name, channel=channel, escalation=f"Page #{slugify(name)}-oncall")
             for name, channel in DEMO_TEAMS.items()}
    contacts = {user_id: Contact(ref=user_id, slack_user_id=user_id, display_name=label.split(" ")[0],
                                 deactivated=user_id in DEPARTED) for user_id, label in DEMO_USERS.items()}
    session.add_all([*teams.values(), *contacts.values()])
    session.flush()
    session.add_all(
        Component(key=slugify(name), name=name, kind=kind, team_id=teams[team].id, description=description,
                  primary_contact_id=contacts[primary].id, aliases=aliases,
                  backup_contact_id=contacts[backup].id if backup else None,
                  runbook_url=f"https://wiki.example.com/runbooks/{slugify(name)}")
        for name, kind, team, primary, backup, aliases, description in DEMO_COMPONENTS
    )
    touch(session)


def _add(session: Session, demo: DemoLaunch, today: date) -> None:
    created = datetime.combine(today - timedelta(days=45), time(9), tzinfo=UTC)
    final_target = today + timedelta(days=demo.target_in_days) if demo.target_in_days is not None else None
    launch = create_launch(session, name=demo.name, actor_id=CONSOLE_USER, now=created, target=final_target,
                           owner_id=demo.owner, channel_id=demo.channel, stage=demo.stage, risk=demo.risk,
                           risk_reason=demo.risk_reason, done=demo.done)
    history = []
    if final_target:
        target = final_target - timedelta(days=sum(demo.slips))
        for step, days in enumerate(demo.slips, start=1):
            history.append(LaunchChange(launch_id=launch.id, at=created + timedelta(days=10 * step), actor_id=demo.owner,
                                        field="target", old_value=target.isoformat(),
                                        new_value=(target + timedelta(days=days)).isoformat()))
            target += timedelta(days=days)
    if demo.risk is not Risk.ON_TRACK:
        history.append(LaunchChange(launch_id=launch.id, at=created + timedelta(days=40), actor_id=demo.owner,
                                    field="risk", old_value=Risk.ON_TRACK.value, new_value=demo.risk.value))
    session.add_all(history)
