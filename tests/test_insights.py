"""Launch insights over a hand-built history: every figure worked out by hand here, beside the history.

Herald's zone in tests is Europe/Berlin (UTC+2 until 25 October 2026, UTC+1 after). The period asked
about is October 2026; the one before it, of the same length, is 31 August to 30 September.

    launch    owner  created (UTC)         history (UTC)                                   launch day (Berlin)
    Alpha     ann    08-01 10:00 planning  target 10-10 at creation; building 08-11 10:00;  10-15  committed 10-10, +5 late
                                           target →10-20 09-15 (slip 10); beta 09-20 10:00;        slips 1 / 10 days
                                           launched 10-15 10:00
    Bravo     ann    09-01 08:00 building  target 10-20 at creation; launched 10-12 08:00   10-12  committed 10-20, 8 early
    Charlie   bob    09-01 00:00 planning  no target; building 09-05; target →10-05 09-10   10-31  committed 10-05 (first set
                                           (first: no slip); →10-25 09-30 (slip 20);               after building), +26 late
                                           launched 10-31 22:30 (23:30 in Berlin: the last day)
    Delta     ann    09-10 00:00 planning  never a target; building 09-12;                  10-01  no target
                                           launched 09-30 22:30 (00:30 on 1 October in Berlin: the first day)
    Echo      ann    08-20 building        target 09-25; launched 09-30 21:30 (23:30 Berlin)  09-30  before: +5 late
    Foxtrot   ann    08-01 building        target 09-15; launched 09-10 12:00                 09-10  before: 5 early
    Golf      ann    09-01 building        target 10-01; →11-01 09-20 (slip 31); cancelled 10-10    never launched
    Hotel     ann    10-01 building        target 11-05; launched 10-31 23:30 (00:30 on 1 Nov)  11-01  after the period
    India     cid    10-01 12:00 building  target 10-20; launched 10-20 12:00                 10-20  on the day: on time
    Juliet    ann    active, building, at risk, target 11-20 (overdue on 11-25)
    Kilo      bob    active, beta, blocked, target 12-10
    Lima      cid    active, planning, no target

Team payments is ann and bob; cid is in no team.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from bot.insights.facts import launch_facts
from bot.insights.figures import MonthFigures, insights, monthly
from bot.insights.scope import Period, Scope
from bot.launches.changes import create_launch
from bot.launches.models import Launch, LaunchChange, Risk, Stage
from tests.support.factories import add_team
from tests.test_digest_statements import counting

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 25)  # the conftest clock's day
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}+00:00")


def launch(session: Session, name: str, *, created: str, stage: str = "planning", target: str | None = None,
           owner: str = "U0ANN", risk: str = "on_track", changes: tuple = ()) -> Launch:
    """A launch created at `created` (UTC, 2026) as Herald creates one, then its (when, field, old, new) changes;
    it ends in the state they leave it in."""
    made = create_launch(session, name=name, actor_id=owner, now=at(created), stage=Stage(stage), risk=Risk(risk),
                         target=date.fromisoformat(target) if target else None)
    for when, field, old, new in changes:
        session.add(LaunchChange(launch_id=made.id, at=at(when), actor_id=owner, field=field, old_value=old,
                                 new_value=new))
        if field == "stage":
            made.stage = Stage(new)
        elif field in ("target", "target correction"):
            made.target_date = date.fromisoformat(new) if new else None
    session.add(made)
    session.commit()
    return made


def build_history(session: Session) -> None:
    add_team(session, "Payments", members=["U0ANN", "U0BOB"])
    launch(session, "Alpha", created="08-01T10:00", target="2026-10-10", changes=(
        ("08-11T10:00", "stage", "planning", "building"),
        ("09-15T09:00", "target", "2026-10-10", "2026-10-20"),
        ("09-20T10:00", "stage", "building", "beta"),
        ("10-15T10:00", "stage", "beta", "launched")))
    launch(session, "Bravo", created="09-01T08:00", stage="building", target="2026-10-20", changes=(
        ("10-12T08:00", "stage", "building", "launched"),))
    launch(session, "Charlie", created="09-01T00:00", owner="U0BOB", changes=(
        ("09-05T00:00", "stage", "planning", "building"),
        ("09-10T00:00", "target", None, "2026-10-05"),
        ("09-30T00:00", "target", "2026-10-05", "2026-10-25"),
        ("10-31T22:30", "stage", "building", "launched")))
    launch(session, "Delta", created="09-10T00:00", changes=(
        ("09-12T00:00", "stage", "planning", "building"),
        ("09-30T22:30", "stage", "building", "launched")))
    launch(session, "Echo", created="08-20T00:00", stage="building", target="2026-09-25", changes=(
        ("09-30T21:30", "stage", "building", "launched"),))
    launch(session, "Foxtrot", created="08-01T00:00", stage="building", target="2026-09-15", changes=(
        ("09-10T12:00", "stage", "building", "launched"),))
    launch(session, "Golf", created="09-01T00:00", stage="building", target="2026-10-01", changes=(
        ("09-20T00:00", "target", "2026-10-01", "2026-11-01"),
        ("10-10T00:00", "stage", "building", "cancelled")))
    launch(session, "Hotel", created="10-01T00:00", stage="building", target="2026-11-05", changes=(
        ("10-31T23:30", "stage", "building", "launched"),))
    launch(session, "India", created="10-01T12:00", stage="building", target="2026-10-20", owner="U0CID", changes=(
        ("10-20T12:00", "stage", "building", "launched"),))
    launch(session, "Juliet", created="10-01T00:00", stage="building", target="2026-11-20", risk="at_risk")
    launch(session, "Kilo", created="10-01T00:00", stage="beta", target="2026-12-10", owner="U0BOB", risk="blocked")
    launch(session, "Lima", created="10-01T00:00", owner="U0CID")


@pytest.fixture
def history(engine) -> Session:
    with Session(engine) as session:
        build_history(session)
        yield session


def test_each_launch_has_the_facts_its_history_gives(history):
    facts = {f.name: f for f in launch_facts(history, tz=BERLIN)}

    alpha = facts["Alpha"]
    assert (alpha.committed_target, alpha.final_target) == (date(2026, 10, 10), date(2026, 10, 20))
    assert (alpha.launched_on, alpha.delay, alpha.on_time) == (date(2026, 10, 15), 5, False)
    assert (alpha.slips, alpha.slip_days) == (1, 10)
    assert alpha.days_in_stage == {"planning": 10, "building": 40, "beta": 25}  # launched: entered, never left

    assert (facts["Bravo"].committed_target, facts["Bravo"].delay) == (date(2026, 10, 20), -8)  # early
    assert facts["Bravo"].days_in_stage == {"building": 41}  # created in building: in it from creation
    charlie = facts["Charlie"]
    assert charlie.committed_target == date(2026, 10, 5)  # no target in building: the first one set after
    assert (charlie.slips, charlie.slip_days) == (1, 20)  # a first target is no slip
    assert charlie.launched_on == date(2026, 10, 31)  # 22:30 UTC is 23:30 in Berlin
    assert charlie.days_in_stage == {"planning": 4, "building": 56 + 22.5 / 24}
    assert (facts["Delta"].committed_target, facts["Delta"].launched_on) == (None, date(2026, 10, 1))
    assert facts["Delta"].delay is None and not facts["Delta"].on_time
    golf = facts["Golf"]
    assert (golf.cancelled, golf.launched_on, golf.slips, golf.slip_days) == (True, None, 1, 31)
    assert facts["Hotel"].launched_on == date(2026, 11, 1)  # 23:30 UTC on 31 October is 00:30 in Berlin
    assert (facts["India"].delay, facts["India"].on_time) == (0, True)  # on the day is on time
    assert facts["Lima"].committed_target is None and facts["Lima"].launched_on is None  # still planning


def test_figures_of_a_period_beside_the_period_before(history):
    found = insights(history, period=OCTOBER, today=TODAY, tz=BERLIN)
    now, before = found.current, found.previous

    # Launched in October (Berlin): Alpha, Bravo, Charlie (last day), Delta (first day), India; not Hotel (1 Nov).
    assert now.launched == 5
    assert (now.targeted, now.no_target, now.on_time) == (4, 1, 2)  # Delta has no target; Bravo and India on time
    assert now.on_time_rate == 0.5
    assert now.median_delay == 2.5  # delays -8, 0, 5, 26
    assert now.average_delay == (5 - 8 + 26 + 0) / 4
    assert (now.slipped, now.slip_days, now.median_slip_days) == (2, 30, 15)  # Alpha 10, Charlie 20; not Golf
    assert [f.name for f in now.top_slippers] == ["Charlie", "Alpha"]
    assert now.stage_days == {
        "planning": 4,  # Alpha 10, Charlie 4, Delta 2
        "building": 40,  # Delta 18.9375, India 19, Alpha 40, Bravo 41, Charlie 56.9375
        "beta": 25,  # Alpha only
    }

    assert before.period == Period(date(2026, 8, 31), date(2026, 9, 30))
    assert before.launched == 2  # Echo (23:30 on 30 September in Berlin) and Foxtrot
    assert (before.targeted, before.on_time, before.median_delay, before.average_delay) == (2, 1, 0, 0)  # +5, -5
    assert before.slipped == 0

    assert found.now == type(found.now)(active=3, at_risk=1, blocked=1, overdue=1)  # Juliet, Kilo, Lima


def test_a_period_selects_launches_by_their_day_in_herald_s_zone(history):
    first_day = insights(history, period=Period(date(2026, 10, 1), date(2026, 10, 1)), today=TODAY, tz=BERLIN)
    assert first_day.current.launched == 1  # Delta, at 00:30 in Berlin; 22:30 on 30 September in UTC
    assert first_day.previous.launched == 1  # Echo, at 23:30 in Berlin on 30 September

    in_utc = insights(history, period=OCTOBER, today=TODAY, tz=ZoneInfo("UTC"))
    assert in_utc.current.launched == 5  # Hotel (23:30 on the 31st) in, Delta (22:30 on 30 September) out
    assert {f.name for f in in_utc.current.top_slippers} == {"Alpha", "Charlie"}


def test_team_and_owner_filters_narrow_every_figure(history):
    team = insights(history, period=OCTOBER, today=TODAY, tz=BERLIN, where=Scope(team_key="payments").conditions())
    assert (team.current.launched, team.current.targeted, team.current.on_time) == (4, 3, 1)  # not India (cid)
    assert team.current.median_delay == 5  # -8, 5, 26
    assert (team.now.active, team.now.at_risk, team.now.blocked, team.now.overdue) == (2, 1, 1, 1)  # not Lima

    cid = insights(history, period=OCTOBER, today=TODAY, tz=BERLIN, where=Scope(owner_id="U0CID").conditions())
    assert (cid.current.launched, cid.current.on_time, cid.current.median_delay) == (1, 1, 0)
    assert (cid.now.active, cid.now.at_risk, cid.now.overdue) == (1, 0, 0)  # Lima


def test_months_of_the_chart(history):
    months = monthly(history, months=6, today=TODAY, tz=BERLIN)

    assert [m.month for m in months] == [date(2026, month, 1) for month in range(6, 12)]
    assert months[:3] == [MonthFigures(date(2026, month, 1), 0, 0, None) for month in (6, 7, 8)]
    assert months[3] == MonthFigures(date(2026, 9, 1), 2, 1, 0)  # Echo +5, Foxtrot -5
    assert months[4] == MonthFigures(date(2026, 10, 1), 5, 2, 2.5, no_target=1)
    assert months[4].on_time_rate == 0.5  # of the four with a target
    assert months[5] == MonthFigures(date(2026, 11, 1), 1, 1, -4)  # Hotel, 4 days early
    assert months[0].on_time_rate is None


def grow(engine, first: int, last: int) -> None:
    """Launches with a full history each: created, building, a slip, launched in October, and an active one."""
    with Session(engine) as session:
        for n in range(first, last):
            launch(session, f"Launch {n:03d}", created="09-01T00:00", target="2026-10-10", changes=(
                ("09-02T00:00", "stage", "planning", "building"),
                ("09-03T00:00", "target", "2026-10-10", "2026-10-12"),
                (f"10-{1 + n % 28:02d}T12:00", "stage", "building", "launched")))
            launch(session, f"Active {n:03d}", created="10-01T00:00", stage="beta", target="2026-11-01",
                   risk="at_risk")


def test_statements_do_not_grow_with_the_number_of_launches(engine):
    def statements() -> int:
        with Session(engine) as session, counting(engine) as run:
            insights(session, period=OCTOBER, today=TODAY, tz=BERLIN, where=Scope(team_key="payments").conditions())
            monthly(session, months=6, today=TODAY, tz=BERLIN)
        return len(run)

    with Session(engine) as session:
        add_team(session, "Payments", members=["U0ANN"])
    grow(engine, 0, 3)
    small = statements()
    grow(engine, 3, 60)
    with Session(engine) as session:
        assert insights(session, period=OCTOBER, today=TODAY, tz=BERLIN).current.launched == 60

    assert statements() == small == 5  # facts (2) and now (1); the months' facts (2)


async def test_the_command_acks_at_once_then_answers_with_the_figures(sender, slack, engine):
    with Session(engine) as session:
        build_history(session)

    ack = await sender.command("insights team:payments since:2026-10-01 until:2026-10-31")
    assert "Working out the figures" in ack.text
    await sender.settle()

    [answer] = slack.response_url_posts_to("command")
    assert answer["replace_original"] is True and answer["response_type"] == "ephemeral"
    text = json.dumps(answer, ensure_ascii=False)
    assert "How we're shipping — Thu 01 Oct 2026 – Sat 31 Oct 2026" in text
    assert "Team Payments" in text
    assert "*Launched:* 4 ▲ from 2 · 1 with no target" in text  # Alpha, Bravo, Charlie, Delta; Echo, Foxtrot
    assert "*On time:* 1 of 3 (33%) ▼ from 50%" in text
    assert "*Median delay:* 5 days late ▲ from on the day" in text
    assert "*Charlie*: 1 slip, 20 days · 26 days late · <@U0BOB>" in text
    assert "*Now:* 2 active · 1 at risk · 1 blocked · 1 overdue" in text


async def test_the_default_period_is_the_last_90_days(sender, slack, engine):
    with Session(engine) as session:
        build_history(session)

    await sender.command("insights owner:me")
    await sender.settle()

    [answer] = slack.response_url_posts_to("command")
    text = json.dumps(answer, ensure_ascii=False)
    assert "Fri 28 Aug 2026 – Wed 25 Nov 2026" in text  # 90 days up to the clock's day
    assert "Owned by <@U0ANN>" in text


@pytest.mark.parametrize(("options", "says"), [
    ("team:paymnts", "Did you mean Payments?"),
    ("since:2026-11-01 until:2026-10-01", "is after"),
    ("since:yesterday", "is not a date: use `since:YYYY-MM-DD`"),
    ("since:2026-02-30", "is not a date"),
    ("owner:ann", "Mention them with @"),
    ("last-quarter", "I don't understand “last-quarter”"),
    ("team:a team:b", "Give `team:` once"),
    ("until:0001-01-01", "is out of range: give a day from 1900-01-01 to 2999-12-31"),
    ("since:0001-01-01", "is out of range"),
    ("until:9999-12-31", "is out of range"),
    ("x" * 5000, "x" * 2000),  # echoed, but within a section's 3,000 characters
])
async def test_bad_options_are_answered_at_once(sender, slack, engine, options, says):
    with Session(engine) as session:
        add_team(session, "Payments", members=["U0ANN"])

    ack = await sender.command(f"insights {options}")
    await sender.settle()

    assert says in ack.text
    assert all(len(block["text"]["text"]) <= 3000 for block in ack.json["blocks"] if "text" in block)
    assert slack.response_url_posts_to("command") == []


def test_a_launch_recorded_as_launched_and_a_corrected_target_count_as_their_history_says(engine):
    """Made in `launched` (an import's state): launched the day it was created. A target corrected within
    minutes amends the one it corrects: the committed target is the corrected one, and no slip."""
    with Session(engine) as session:
        launch(session, "Recorded", created="10-05T09:00", stage="launched", target="2026-10-01")
        launch(session, "Corrected", created="09-01T09:00", stage="building", target="2026-10-01", changes=(
            ("09-01T09:05", "target correction", "2026-10-01", "2026-10-10"),
            ("10-08T09:00", "stage", "building", "launched")))
        facts = {f.name: f for f in launch_facts(session, tz=BERLIN)}
        found = insights(session, period=OCTOBER, today=TODAY, tz=BERLIN)

    assert (facts["Recorded"].launched_on, facts["Recorded"].delay) == (date(2026, 10, 5), 4)
    corrected = facts["Corrected"]
    assert (corrected.committed_target, corrected.delay, corrected.slips) == (date(2026, 10, 10), -2, 0)
    assert (found.current.launched, found.current.on_time, found.current.targeted) == (2, 1, 2)


@pytest.mark.parametrize(("share", "shared_in"), [("", "D0ANN"), (" --share", "C0LAUNCHES")])
async def test_the_chart_follows_the_figures_by_dm_or_in_the_channel(sender, slack, engine, share, shared_in):
    with Session(engine) as session:
        build_history(session)

    await sender.command(f"insights{share}", channel="C0LAUNCHES")
    await sender.settle()

    [answer] = slack.response_url_posts_to("command")
    assert answer["response_type"] == ("in_channel" if share else "ephemeral")
    [chart] = slack.files
    assert chart["channel"] == shared_in and chart["title"] == "On time and median delay by month"
