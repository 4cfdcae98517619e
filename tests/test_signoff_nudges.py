"""Sign-off nudges: an unanswered request is asked again 5 and 2 days before the target, by DM, at 10:00 in the
person's own zone, never on their weekend, once a day, once whatever the replicas do.

The conftest clock says Wednesday 25 November 2026; a launch due Monday 30 November is 5 days away. Requests
and asks are stored directly (the request service is built beside this); what Slack receives is asserted.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, select

from bot.core.settings import load_settings
from bot.launches.models import LaunchChange
from bot.launches.signoff_models import Answer, SignoffAsk, SignoffNudge, SignoffRequest
from bot.runtime.app import make_herald
from bot.signoffs.nudges import NudgeRunner
from bot.slack.messenger import Messenger
from bot.slack.zones import SlackTimeZones
from tests.support.factories import add_launch
from tests.support.harness import BOT_TOKEN
from tests.support.races import meeting_before

TOKYO_10AM_WED = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Tuesday 17:00 in Los Angeles
LA_10AM_WED = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # Thursday 03:00 in Tokyo


def people(slack) -> None:
    slack.add_user("U0AKI", "aki", tz="Asia/Tokyo")
    slack.add_user("U0LEO", "leo", tz="America/Los_Angeles")
    slack.add_user("U0BEN", "ben", tz="Europe/Berlin")


def ask(engine, launch_name: str, target: str | None, recipients: list[str], *, label: str = "Legal",
        answer: Answer = Answer.PENDING, stage: str = "building") -> int:
    """A launch asked to sign off by `label`, the ask reaching each of `recipients` (user or channel IDs)."""
    with Session(engine) as session:
        launch = add_launch(session, launch_name, target=target, stage=stage)
        request = SignoffRequest(launch_id=launch.id, who="team:legal", label=label, answer=answer,
                                 requested_by="U0ANN")
        session.add(request)
        session.flush()
        session.add_all(SignoffAsk(request_id=request.id, recipient=r, channel_id="D" + r[1:], ts="1.0")
                        for r in recipients)
        session.commit()
        return launch.id


def runner(herald, slack) -> NudgeRunner:
    """A replica's nudge run, speaking to Slack through a client that never retries, as the workers do."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])
    return NudgeRunner(herald, zones=SlackTimeZones(client), messenger=Messenger(client))


def dms(slack, user_id: str) -> list[str]:
    return [m["text"] for m in slack.messages.get("D" + user_id[1:], [])]


async def test_each_person_is_nudged_at_ten_in_their_own_time_zone(herald, slack, engine):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI", "U0LEO"])
    nudges = runner(herald, slack)

    await nudges.run(TOKYO_10AM_WED - timedelta(minutes=5))
    assert dms(slack, "U0AKI") == [] and dms(slack, "U0LEO") == []

    report = await nudges.run(TOKYO_10AM_WED)
    assert report.sent == 1
    assert dms(slack, "U0AKI") == ["Reminder: 1 launch waiting for your sign-off"]
    assert dms(slack, "U0LEO") == []  # still Tuesday in Los Angeles: 6 days to go

    await nudges.run(LA_10AM_WED)
    assert len(dms(slack, "U0AKI")) == 1  # Thursday in Tokyo: 4 days to go, nothing due
    assert len(dms(slack, "U0LEO")) == 1
    [sent] = slack.messages["D0LEO"]
    text = sent["blocks"][0]["text"]["text"]
    assert "*Checkout v2* for Legal · target Mon 30 Nov 2026 (5 days left) · asked by <@U0ANN>" in text


async def test_a_run_after_six_in_the_evening_sends_nothing(herald, slack, engine):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI"])
    await runner(herald, slack).run(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 18:00 in Tokyo
    assert dms(slack, "U0AKI") == []


async def test_a_nudge_due_on_a_weekend_comes_the_friday_before(herald, slack, engine):
    people(slack)
    ask(engine, "Search", "2026-12-01", ["U0BEN"])  # 2 days before is Sunday 29 November
    nudges = runner(herald, slack)

    await nudges.run(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))  # Sunday 10:00 in Berlin
    await nudges.run(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # Saturday
    assert dms(slack, "U0BEN") == []

    await nudges.run(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # Friday 10:00 in Berlin
    assert dms(slack, "U0BEN") == ["Reminder: 1 launch waiting for your sign-off"]
    assert "(4 days left)" in slack.messages["D0BEN"][0]["blocks"][0]["text"]["text"]


async def test_a_person_gets_one_nudge_a_day_listing_everything_waiting(herald, slack, engine):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI"])
    ask(engine, "Payments EU", "2026-11-27", ["U0AKI"], label="@aki")  # 2 days before: also due today
    ask(engine, "Search", "2026-12-20", ["U0AKI"], label="Security")  # not due, but waiting: listed
    nudges = runner(herald, slack)

    await nudges.run(TOKYO_10AM_WED)
    await nudges.run(TOKYO_10AM_WED + timedelta(hours=3))
    assert dms(slack, "U0AKI") == ["Reminder: 3 launches waiting for your sign-off"]
    text = slack.messages["D0AKI"][0]["blocks"][0]["text"]["text"]
    assert text.index("Payments EU") < text.index("Checkout v2") < text.index("Search")


async def test_answered_launched_and_channel_asks_are_not_nudged(herald, slack, engine):
    people(slack)
    ask(engine, "Approved one", "2026-11-30", ["U0AKI"], answer=Answer.APPROVED)
    ask(engine, "Changes asked", "2026-11-30", ["U0AKI"], answer=Answer.CHANGES)
    ask(engine, "Already out", "2026-11-30", ["U0AKI"], stage="launched")
    ask(engine, "Team channel", "2026-11-30", ["C0LEGAL"])
    report = await runner(herald, slack).run(TOKYO_10AM_WED)
    assert report.due == 0 and slack.calls_to("chat.postMessage") == []


async def test_a_nudge_is_recorded_in_the_launch_history(herald, slack, engine):
    people(slack)
    launch_id = ask(engine, "Checkout v2", "2026-11-30", ["U0AKI"])
    await runner(herald, slack).run(TOKYO_10AM_WED)
    with Session(engine) as session:
        [row] = session.exec(select(LaunchChange).where(LaunchChange.launch_id == launch_id,
                                                        LaunchChange.field == "sign-off nudge")).all()
        [claim] = session.exec(select(SignoffNudge)).all()
    assert row.new_value == "Legal: reminded U0AKI" and row.actor_id == "U0ANN"
    assert claim.recipient == "U0AKI" and str(claim.day) == "2026-11-25" and claim.sent_at is not None


async def test_someone_slack_gives_no_zone_is_nudged_in_heralds_zone(herald, slack, engine):
    ask(engine, "Checkout v2", "2026-11-30", ["U0GONE"])  # not in Slack: users.info says user_not_found
    await runner(herald, slack).run(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 10:00 in Berlin, Herald's zone
    assert len(dms(slack, "U0GONE")) == 1


@pytest.mark.parametrize("tz", ["America", "A" * 300, 5, "Mars/Olympus"])
async def test_a_zone_that_is_none_leaves_that_person_in_heralds_zone_and_everyone_else_in_theirs(
        herald, slack, engine, tz):
    people(slack)
    slack.add_user("U0ZED", "zed", tz="Asia/Tokyo")
    slack.users["U0ZED"]["tz"] = tz
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI", "U0ZED"])
    await runner(herald, slack).run(TOKYO_10AM_WED)
    await runner(herald, slack).run(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 10:00 in Berlin, Herald's zone
    assert (len(dms(slack, "U0AKI")), len(dms(slack, "U0ZED"))) == (1, 1)


async def test_someone_slack_does_not_answer_about_is_nudged_at_their_ten_once_it_does(herald, slack, engine):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0LEO"])
    nudges = runner(herald, slack)
    slack.rate_limit("users.info", retry_after=1)
    await nudges.run(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 10:00 in Berlin, 01:00 in Los Angeles
    assert dms(slack, "U0LEO") == []
    await nudges.run(LA_10AM_WED)  # 10:00 in Los Angeles, the same Wednesday
    assert len(dms(slack, "U0LEO")) == 1


async def test_a_rate_limited_nudge_is_sent_on_the_next_run_a_refused_one_is_not_retried(herald, slack, engine):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI", "U0BEN"])
    nudges = runner(herald, slack)
    berlin_10am = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 18:00 in Tokyo: only Ben is due
    slack.rate_limit("chat.postMessage", retry_after=30)
    assert (await nudges.run(berlin_10am)).sent == 0
    assert (await nudges.run(berlin_10am + timedelta(minutes=5))).sent == 1
    assert len(dms(slack, "U0BEN")) == 1

    slack.fail("chat.postMessage", "cannot_dm_bot")
    assert (await nudges.run(TOKYO_10AM_WED)).sent == 0
    assert (await nudges.run(TOKYO_10AM_WED + timedelta(minutes=5))).sent == 0  # not retried all day
    assert dms(slack, "U0AKI") == []


async def test_users_info_is_asked_once_per_person_across_runs(herald, slack, engine):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI", "U0LEO"])
    nudges = runner(herald, slack)
    for minutes in range(0, 30, 5):
        await nudges.run(TOKYO_10AM_WED + timedelta(minutes=minutes))
    assert sorted(c.args["user"] for c in slack.calls_to("users.info")) == ["U0AKI", "U0LEO"]


async def test_two_replicas_running_at_once_nudge_once(herald, slack, engine, settings_env, clock):
    people(slack)
    ask(engine, "Checkout v2", "2026-11-30", ["U0AKI"])
    ask(engine, "Payments EU", "2026-11-27", ["U0AKI"])
    other = make_herald(load_settings({**settings_env, "HERALD_INSTANCE_ID": "replica-2"}), engine, clock=clock)
    with meeting_before(engine, "INSERT INTO signoff_nudge"):
        reports = await asyncio.gather(runner(herald, slack).run(TOKYO_10AM_WED),
                                       runner(other, slack).run(TOKYO_10AM_WED))
    assert sorted(r.sent for r in reports) == [0, 1]
    assert sorted(r.claimed_elsewhere for r in reports) == [0, 1]
    assert len(dms(slack, "U0AKI")) == 1
