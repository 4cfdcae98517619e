"""Scheduled digests: schedules and bad input, DST, the grace rule, claims across replicas, filters, preview."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.settings import load_settings
from bot.digests.models import Digest
from bot.digests.runner import DigestRunner
from bot.digests.scheduler import DigestScheduler
from bot.launches.models import LaunchChange
from bot.releases.models import Release
from bot.runtime.app import make_herald
from bot.runtime.cli import main
from tests.support.factories import add_launch, add_team


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def digests_in(slack, channel: str) -> list[dict]:
    return [m for m in slack.messages.get(channel, []) if "digest" in m["text"].lower() or "Launch digest" in str(m["blocks"])]


@pytest.fixture
def launches(engine):
    with Session(engine) as session:
        checkout = add_launch(session, "Checkout v2", stage="beta", target="2026-12-01", owner="U0ANN",
                              risk="at_risk", risk_reason="provider late")
        add_launch(session, "Search revamp", stage="building", target="2027-03-01", owner="U0BOB")
        session.add_all([
            LaunchChange(launch_id=checkout.id, at=at(2026, 11, 24, 12), actor_id="U0ANN", field="target",
                         old_value="2026-11-26", new_value="2026-12-01"),
            LaunchChange(launch_id=checkout.id, at=at(2026, 11, 24, 13), actor_id="U0ANN", field="stage",
                         old_value="building", new_value="beta"),
        ])
        session.add(Release(component="billing", component_name="Billing", version="1.4.0", source="cli",
                            announce_at=at(2026, 11, 24, 15), fanned_out=True))
        session.commit()


async def test_setting_a_digest_says_when_the_next_one_comes(sender, engine):
    answer = await sender.command("digest daily 09:00 Europe/Berlin", channel="C0LAUNCHES")
    assert "This channel gets a launch digest: daily at 09:00 Europe/Berlin; the next one comes Thu 26 Nov 2026 09:00 Europe/Berlin" in answer.text
    with Session(engine) as session:
        digest = session.exec(select(Digest)).one()
    assert (digest.channel_id, digest.cron, digest.timezone) == ("C0LAUNCHES", "0 9 * * *", "Europe/Berlin")


@pytest.mark.parametrize(("text", "explanation"), [
    ("digest daily 25:00", "“25:00” is not a time"),
    ("digest daily 09:00 Mars/Olympus", "“Mars/Olympus” is not a time zone"),
    ("digest weekly funday 09:00", "Say which day"),
    ('digest cron "*/5 * * * *"', "at most once an hour"),
    ('digest cron "0 9 * *"', "is not a cron expression"),
    ('digest cron "0 0 30 2 *"', "“0 0 30 2 *” never comes: no day in the next year matches it"),
    ("digest daily 09:00 colour:blue", "I don't understand “colour:blue”"),
    ("digest daily 09:00 stage:shipping", "“shipping” is not a stage"),
    ("digest fortnightly", "“fortnightly” is not a schedule"),
])
async def test_bad_schedules_are_explained_and_nothing_is_saved(sender, engine, text, explanation):
    answer = await sender.command(text)
    assert explanation in answer.text
    with Session(engine) as session:
        assert session.exec(select(Digest)).all() == []


async def test_daily_digest_across_spring_forward_comes_once_a_day_at_local_nine(sender, herald, slack, launches):
    await sender.command("digest daily 09:00 Europe/Berlin always", channel="C0LAUNCHES")
    runner = DigestRunner(herald)
    digest_id = only_digest(herald).id
    posted = []
    for moment in (at(2026, 3, 28, 8, 0), at(2026, 3, 28, 8, 30), at(2026, 3, 29, 7, 0), at(2026, 3, 29, 8, 0)):
        posted.append(await runner.run(digest_id, now=moment))
    # 09:00 CET is 08:00 UTC; the next day 09:00 CEST is 07:00 UTC: neither skipped nor doubled
    assert posted == ["posted", "claimed", "posted", "claimed"]


async def test_weekly_digest_across_fall_back_in_new_york(sender, herald, launches):
    await sender.command("digest weekly mon 09:00 America/New_York always", channel="C0LAUNCHES")
    runner = DigestRunner(herald)
    digest_id = only_digest(herald).id
    assert await runner.run(digest_id, now=at(2026, 10, 26, 13, 0)) == "posted"  # 09:00 EDT
    assert await runner.run(digest_id, now=at(2026, 11, 2, 13, 30)) == "claimed"  # 08:30 EST: not yet
    assert await runner.run(digest_id, now=at(2026, 11, 2, 14, 0)) == "posted"  # 09:00 EST


async def test_a_digest_in_the_hour_that_comes_twice_when_clocks_go_back_is_posted_once(sender, herald, slack,
                                                                                          launches):
    await sender.command("digest daily 02:30 Europe/Berlin always", channel="C0LAUNCHES")
    runner = DigestRunner(herald)
    digest_id = only_digest(herald).id
    # 02:30 CEST is 00:30 UTC; an hour later it is 02:30 again, CET, and APScheduler wakes Herald again
    posted = [await runner.run(digest_id, now=moment) for moment in (at(2026, 10, 25, 0, 30), at(2026, 10, 25, 1, 30))]
    await runner.catch_up(now=at(2026, 10, 25, 3, 0))  # walking the week back ends, past the repeated hour
    assert posted == ["posted", "claimed"]
    assert len(slack.messages["C0LAUNCHES"]) == 1


async def test_after_downtime_a_missed_digest_is_posted_once_within_the_grace_period(sender, herald, slack, launches):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    runner = DigestRunner(herald)
    await runner.catch_up(now=at(2026, 11, 25, 14, 0))  # 5 hours late
    await runner.catch_up(now=at(2026, 11, 25, 14, 1))
    assert len(slack.messages["C0LAUNCHES"]) == 1
    assert "*What changed*" in str(slack.messages["C0LAUNCHES"][0]["blocks"])


async def test_a_digest_missed_by_more_than_the_grace_period_is_skipped_with_a_log_line(sender, herald, slack,
                                                                                        launches, caplog):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    with caplog.at_level(logging.INFO, logger="bot.digests.runner"):
        await DigestRunner(herald).catch_up(now=at(2026, 11, 25, 16, 0))  # 7 hours late
    assert slack.messages.get("C0LAUNCHES", []) == []
    assert "over the grace period" in caplog.text


async def test_two_replicas_due_at_once_post_one_digest(sender, herald, slack, launches, settings_env, engine):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    other = make_herald(load_settings(settings_env), engine)  # another process's view of the same store
    moment = at(2026, 11, 25, 9, 0)
    results = [await DigestRunner(h).run(only_digest(herald).id, now=moment) for h in (herald, other)]
    assert sorted(results) == ["claimed", "posted"]
    assert len(slack.messages["C0LAUNCHES"]) == 1


async def test_empty_digests_are_not_posted_unless_the_channel_asked_for_always(sender, herald, slack):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    assert await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9)) == "empty"
    await sender.command("digest daily 09:00 UTC always", channel="C0LAUNCHES")
    assert await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 26, 9)) == "posted"
    assert "Nothing changed" in str(slack.messages["C0LAUNCHES"][0]["blocks"])


async def test_digest_sections_show_changes_slips_risks_upcoming_and_shipped(sender, herald, slack, launches):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9))
    text = str(slack.messages["C0LAUNCHES"][0]["blocks"])
    assert "*Checkout v2*: slipped 5 days to 2026-12-01; Building → Beta" in text
    assert ":large_yellow_circle: At risk *Checkout v2*: provider late" in text
    assert "*Coming up in the next 14 days*" in text and "Search revamp" not in text.split("Coming up")[1].split("Shipped")[0]
    assert ":rocket: Billing 1.4.0" in text


async def test_filters_keep_a_team_channel_to_its_own_launches(sender, herald, slack, launches, engine):
    with Session(engine) as session:
        add_team(session, "Search", members=["U0BOB"])
    await sender.command("digest daily 09:00 UTC team:search always", channel="C0LAUNCHES")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9))
    text = str(slack.messages["C0LAUNCHES"][0]["blocks"])
    assert "Checkout v2" not in text and "team: search" in text


async def test_preview_shows_what_the_next_digest_would_say_now(sender, launches, clock):
    clock.now = at(2026, 11, 25, 8, 0)
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    answer = await sender.command("digest preview", channel="C0LAUNCHES")
    assert answer.json["response_type"] == "ephemeral"
    assert "Launch digest" in answer.text and "Checkout v2" in answer.text
    missing = await sender.command("digest preview", channel="C0GENERAL")
    assert "There is no digest here yet" in missing.text


async def test_previewing_a_personal_digest_one_has_not_set_up_suggests_a_personal_one(sender):
    answer = await sender.command("digest me preview", channel="C0LAUNCHES")
    assert "You have no digest yet. Start one with `/launch digest me daily 08:00`." in answer.text
    off = await sender.command("digest me off", channel="C0LAUNCHES")
    assert "You have no digest to turn off." in off.text


async def test_personal_digest_goes_by_dm_with_only_my_launches(sender, herald, slack, launches):
    await sender.command("digest me daily 08:00 UTC always", user="U0BOB")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 8))
    [dm] = slack.messages["D0BOB"]
    assert "Your launches" in str(dm["blocks"]) and "Checkout v2" not in str(dm["blocks"])


async def test_a_scheduler_job_lives_exactly_as_long_as_its_digest(sender, herald):
    jobs = DigestScheduler(herald, DigestRunner(herald))
    await jobs.start()  # as `herald serve` does: changes made in this process are followed at once
    try:
        await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
        await herald.background.drain()  # the jobs follow right after the answer, off the listener's path
        digest_id = only_digest(herald).id
        assert jobs.job_ids() == {f"digest:{digest_id}:0 9 * * *:UTC"}
        await sender.command("digest weekly fri 17:00 UTC", channel="C0LAUNCHES")
        await herald.background.drain()
        assert jobs.job_ids() == {f"digest:{digest_id}:0 17 * * fri:UTC"}
        await sender.command("digest off", channel="C0LAUNCHES")
        await herald.background.drain()
        assert jobs.job_ids() == set()
    finally:
        jobs.stop()
    assert await DigestRunner(herald).run(digest_id) == "gone"  # a job that fires late posts nothing


async def test_a_monthly_cron_is_not_called_daily(sender):
    answer = await sender.command('digest cron "0 9 1 * *" UTC', channel="C0LAUNCHES")
    assert "on cron `0 9 1 * *` (UTC); the next one comes Tue 01 Dec 2026 09:00 UTC" in answer.text


async def test_a_never_coming_schedule_stored_before_it_was_refused_gets_no_job_and_harms_no_digest(
        sender, herald, slack, launches, engine):
    with Session(engine) as session:  # straight into the table, as rows written before the refusal are
        session.add(Digest(channel_id="C0GENERAL", cron="0 0 30 2 *", timezone="UTC", created_by="U0ANN"))
        session.commit()
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    jobs = DigestScheduler(herald, DigestRunner(herald))
    await jobs.sync()
    assert {job_id.split(":")[2] for job_id in jobs.job_ids()} == {"0 9 * * *"}
    await DigestRunner(herald).catch_up(now=at(2026, 11, 25, 14, 0))
    assert len(slack.messages["C0LAUNCHES"]) == 1 and slack.messages.get("C0GENERAL", []) == []
    preview = await sender.command("digest preview", channel="C0GENERAL")
    assert "Launch digest" in preview.text and "On cron `0 0 30 2 *` (UTC)" in preview.text


def only_digest(herald) -> Digest:
    with session_scope(herald.engine) as session:
        return session.exec(select(Digest)).one()


async def test_digest_run_from_the_command_line_uses_the_same_claim(sender, herald, slack, launches, settings_env,
                                                                     monkeypatch, tmp_path):
    await sender.command("digest daily 09:00 UTC always", channel="C0LAUNCHES")
    monkeypatch.chdir(tmp_path)
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(main, ["digest", "run", "--channel", "C0LAUNCHES", "--now"]) == 0
    assert await asyncio.to_thread(main, ["digest", "run", "--channel", "C0LAUNCHES", "--now"]) == 0
    assert await asyncio.to_thread(main, ["digest", "run", "--channel", "C0NOWHERE"]) == 1
    assert len(slack.messages["C0LAUNCHES"]) == 1


async def test_blocked_launches_come_before_at_risk_ones_and_long_sections_count_the_rest(sender, herald, slack, engine):
    with Session(engine) as session:
        for n in range(30):
            add_launch(session, f"Wobbly {n:02}", risk="at_risk", risk_reason="qa late")
        add_launch(session, "Zulu", risk="blocked", risk_reason="vendor gone")
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9))
    section = next(b["text"]["text"] for b in slack.messages["C0LAUNCHES"][0]["blocks"]
                   if b.get("text", {}).get("text", "").startswith("*At risk"))
    assert section.splitlines()[1].startswith(":red_circle: Blocked *Zulu*")
    assert section.endswith("…and 6 more launches")


async def test_a_stage_digest_ships_only_releases_of_launches_in_that_stage(sender, herald, slack, launches):
    with session_scope(herald.engine) as session:
        session.add(Release(component="checkout-v2", component_name="Checkout v2", version="beta-2", source="cli",
                            announce_at=at(2026, 11, 24, 16), fanned_out=True))
    await sender.command("digest daily 09:00 UTC stage:beta", channel="C0LAUNCHES")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9))
    text = str(slack.messages["C0LAUNCHES"][0]["blocks"])
    assert "Checkout v2 beta-2" in text and "Billing 1.4.0" not in text


async def test_a_tag_and_stage_digest_ships_releases_of_no_launch_and_still_posts(sender, herald, slack, launches):
    """Launches carry no tags, so a tag filter with a stage filter lets no launch's release through."""
    with session_scope(herald.engine) as session:
        session.add(Release(component="checkout-v2", component_name="Checkout v2", version="beta-2", source="cli",
                            tags=["mobile"], announce_at=at(2026, 11, 24, 16), fanned_out=True))
    await sender.command("digest daily 09:00 UTC tag:mobile stage:beta always", channel="C0LAUNCHES")
    assert "Launch digest" in (await sender.command("digest preview", channel="C0LAUNCHES")).text
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9))
    assert "beta-2" not in str(slack.messages["C0LAUNCHES"][0]["blocks"])


async def test_a_cleared_risk_reason_leaves_no_empty_item(sender, herald, slack, engine, clock):
    with Session(engine) as session:
        add_launch(session, "Charlie", stage="planning")
    clock.now = at(2026, 11, 24, 10)
    for text in ("set charlie risk at_risk legal", "set charlie risk on_track", "set charlie stage building"):
        await sender.command(text)
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 25, 9))
    text = str(slack.messages["C0LAUNCHES"][0]["blocks"])
    assert "; ;" not in text and "risk at risk → on track; Planning → Building" in text


async def test_a_corrected_target_is_told_as_the_move_it_stands_for(sender, herald, slack, engine, clock):
    clock.now = at(2026, 11, 24, 9)
    await sender.command("new Charlie target 2026-12-14")
    clock.now = at(2026, 11, 25, 10)
    await sender.command("set charlie target 2026-12-20")
    for minute, target in ((5, "2026-12-28"), (6, "2026-12-16")):  # put right within 10 minutes: corrections
        clock.now = at(2026, 11, 25, 10, minute)
        await sender.command(f"set charlie target {target}")
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 26, 9))
    text = str(slack.messages["C0LAUNCHES"][0]["blocks"])
    assert "*Charlie*: slipped 2 days to 2026-12-16" in text and "corrected" not in text


async def test_a_late_digest_leaves_what_happened_since_its_time_to_the_next_one(sender, herald, slack, engine, launches):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES")
    with Session(engine) as session:
        add_launch(session, "Late arrival")  # created 10:30 today, after the 09:00 digest's time
        session.exec(select(LaunchChange).where(LaunchChange.new_value == "Late arrival")).one().at = at(2026, 11, 25, 10, 30)
        session.commit()
    runner = DigestRunner(herald)
    await runner.run(only_digest(herald).id, now=at(2026, 11, 25, 11))  # two hours late, within the grace
    await runner.run(only_digest(herald).id, now=at(2026, 11, 26, 9))
    first, second = (str(m["blocks"]) for m in slack.messages["C0LAUNCHES"])
    assert "Late arrival" not in first and "*Late arrival*: new launch" in second


async def test_days_left_count_from_the_digests_own_day(sender, herald, slack, engine, launches):
    await sender.command("digest daily 09:00 Asia/Tokyo", channel="C0LAUNCHES")  # 00:00 UTC
    await DigestRunner(herald).run(only_digest(herald).id, now=at(2026, 11, 26, 0, 0))
    assert "Tue 01 Dec 2026 (5 days left)" in str(slack.messages["C0LAUNCHES"][0]["blocks"])
