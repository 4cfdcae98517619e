"""A digest is built in a fixed number of SQL statements, whatever the number of launches, changes and releases in it.

The same digests are rendered against a small world and again after it has grown tenfold; for each
filter kind the statements counted (an SQLAlchemy "before_cursor_execute" listener on the engine) must
be the same. A query run once per launch, change, release or gap -- in digests.content() or in the
template -- makes the bigger world's count larger and fails the test. No timing is involved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy
from sqlmodel import Session, select

from bot.digests.content import content
from bot.digests.models import Digest
from bot.digests.runner import render
from bot.digests.schedules import schedule_of
from bot.directory.models import Team
from bot.launches.models import LaunchChange
from bot.releases.models import Release
from tests.support.factories import add_component, add_launch, add_team, contact

UTC = timezone.utc
PERIOD = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the conftest clock's day, 09:00: the digests' newest period
SINCE = PERIOD - timedelta(days=1)  # where a daily 09:00 digest for PERIOD starts counting
OWNERS = ("U0ANN", "U0BOB", "U0CID")  # the team's people; U0ANN owns most launches
SMALL, BIG = 5, 50

DIGESTS = {  # filter kind -> the digest's channel and filters; each is daily at 09:00 UTC
    "none": {"channel_id": "C0ALL"},
    "team": {"channel_id": "C0TEAM", "filters": {"team": "payments"}},
    "component": {"channel_id": "C0COMP", "filters": {"component": "launch-000"}},
    "tag": {"channel_id": "C0TAG", "filters": {"tag": "payments"}},
    "stage": {"channel_id": "C0STAGE", "filters": {"stage": "building"}},
    "personal": {"channel_id": "U0ANN", "personal": True},
}


@dataclass(frozen=True)
class Built:
    """What building one digest took, and how big it was."""

    render_statements: int
    content_statements: int
    rows: int  # launches changed, at risk and coming up, releases shipped and gaps: what the digest is about


@contextmanager
def counting(engine: sqlalchemy.Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sqlalchemy.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", count)


def grow(engine: sqlalchemy.Engine, first: int, last: int) -> None:
    """Launches number `first` to `last` - 1, with a day of history, releases, and directory entries with gaps.

    Every launch changed during the digest's day, is at risk or blocked and due within two weeks; stages
    alternate so that a stage: digest sees half of them; U0ANN owns most, and every owner is in the team.
    Each launch has a directory entry of its own key, tagged payments, that shipped a release during the
    day (as did launch-000's entry, once more for every launch added); every fourth entry has no primary
    contact, and as many have one who left or one not in Slack: gaps.
    """
    with Session(engine) as session:
        team = session.exec(select(Team).where(Team.key == "payments")).first()
        team = team or add_team(session, "payments", members=list(OWNERS))
        gone = contact(session, "U0GONE", deactivated=True)
        outside = contact(session, None, ref="nobody@example.com")
        for n in range(first, last):
            stage, risk = ("building", "beta")[n % 2], ("at_risk", "blocked")[n % 2]
            launch = add_launch(session, f"Launch {n:03d}", stage=stage, risk=risk, risk_reason="waiting on legal",
                                target=(PERIOD.date() + timedelta(days=1 + n % 10)).isoformat(),
                                owner=OWNERS[0] if n % 4 else OWNERS[1 + n % 2])  # fmt: skip
            at = SINCE + timedelta(hours=2, minutes=n)
            session.add_all([
                LaunchChange(launch_id=launch.id, at=at, actor_id="U0ANN", field="target",
                             old_value="2026-11-20", new_value=launch.target_date.isoformat()),
                LaunchChange(launch_id=launch.id, at=at, actor_id="U0ANN", field="stage",
                             old_value="planning", new_value=stage),
                LaunchChange(launch_id=launch.id, at=at, actor_id="U0ANN", field="risk",
                             old_value="on_track", new_value=risk),
                LaunchChange(launch_id=launch.id, at=at, actor_id="U0ANN", field="risk reason",
                             old_value=None, new_value="waiting on legal"),
                LaunchChange(launch_id=launch.id, at=at, actor_id="U0ANN", field="checklist",
                             old_value=None, new_value="☑ QA sign-off"),  # not a digest field
                Release(component=launch.key, component_name=launch.name, version="1.0.0", source="cli",
                        tags=["payments"], announce_at=at + timedelta(hours=1), fanned_out=True),
                Release(component=launch.key, component_name=launch.name, version="0.9.0", source="cli",
                        tags=["payments"], announce_at=SINCE - timedelta(days=2), fanned_out=True),  # before
                Release(component="launch-000", component_name="Launch 000", version=f"1.0.{n + 1}", source="cli",
                        tags=["payments"], announce_at=at + timedelta(hours=2), fanned_out=True),
            ])  # fmt: skip
            session.commit()
            primary = (None, gone, outside, OWNERS[n % 3])[n % 4]
            add_component(session, launch.name, team=team, primary=primary, tags=["payments", "web"])


def build(engine: sqlalchemy.Engine, herald, digest: Digest) -> Built:
    """Render the digest for PERIOD (forced, so the template runs even when empty), then its content alone."""
    schedule = schedule_of(digest)
    with Session(engine) as session, counting(engine) as rendered:
        render(herald, session, digest, period=PERIOD, force=True)
    with Session(engine) as session, counting(engine) as read:
        found = content(session, digest, since=schedule.previous_fire(PERIOD), until=PERIOD, today=PERIOD.date())
    rows = found.changed.total + found.at_risk.total + found.upcoming.total + found.shipped.total + found.gaps.total
    return Built(len(rendered), len(read), rows)


@pytest.mark.parametrize("kind", list(DIGESTS))
def test_statements_per_digest_do_not_grow_with_the_number_of_launches(engine, herald, clock, kind):
    clock.now = PERIOD + timedelta(minutes=30)
    digest = Digest(cron="0 9 * * *", timezone="UTC", created_by="U0ANN", **DIGESTS[kind])
    grow(engine, 0, SMALL)
    small = build(engine, herald, digest)
    grow(engine, SMALL, BIG)
    big = build(engine, herald, digest)

    assert small.rows > 0 and big.rows > small.rows, f"the world did not grow for a {kind} digest: {small} {big}"
    assert small.content_statements > 0
    assert big.render_statements == small.render_statements, (
        f"{kind} digest: {small.render_statements} statements to render with {SMALL} launches, "
        f"{big.render_statements} with {BIG}: a query runs once per row")
    assert big.content_statements == small.content_statements
