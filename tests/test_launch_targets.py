"""Target dates: one in the past only on purpose, and a quick correction by whoever set it is not a slip."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from bot.launches.models import Launch, LaunchChange
from tests.support.factories import add_launch


def targets(engine) -> list[tuple[str, str | None, str | None]]:
    with Session(engine) as session:
        return [(c.field, c.old_value, c.new_value) for c in session.exec(
            select(LaunchChange).where(LaunchChange.field != "created").order_by(LaunchChange.id)).all()]


async def test_a_past_target_is_refused_with_the_way_to_record_it_on_purpose(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Q4", target="2026-12-01")
    refused = await sender.command("set q4 target 2019-05-01")
    assert "2019-05-01 is in the past (today is 2026-11-25)" in refused.text
    assert targets(engine) == []
    suggested = re.search(r"`(target 2019-05-01 --past)`", refused.text).group(1)
    await sender.command(f"set q4 {suggested}")
    assert targets(engine) == [("target", "2026-12-01", "2019-05-01")]


async def test_today_is_not_in_the_past(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Q4", target="2026-12-01")
    await sender.command("set q4 target 2026-11-25")
    assert targets(engine) == [("target", "2026-12-01", "2026-11-25")]


async def test_a_new_launch_with_a_past_target_is_refused_unless_asked_for(sender, engine):
    refused = await sender.command("new Lynx target 2019-05-01 <@U0BOB|bob>")
    assert "2019-05-01 is in the past" in refused.text and "--past" in refused.text
    with Session(engine) as session:
        assert session.exec(select(Launch)).all() == []
    await sender.command("new Lynx target 2019-05-01 --past <@U0BOB|bob>")
    with Session(engine) as session:
        launch = session.exec(select(Launch)).one()
    assert (str(launch.target_date), launch.owner_id) == ("2019-05-01", "U0BOB")


async def test_a_target_put_right_within_ten_minutes_by_whoever_set_it_is_a_correction(sender, engine, clock):
    await sender.command("new Q4 target 2026-12-01")
    clock.now += timedelta(hours=1)
    await sender.command("set q4 target 2033-12-01")  # meant 2026-12-03
    clock.now += timedelta(minutes=3)
    answer = await sender.command("set q4 target 2026-12-03")
    assert "target corrected: 2033-12-01 → 2026-12-03 (not a slip)" in answer.text
    assert targets(engine) == [("target", "2026-12-01", "2033-12-01"),
                               ("target correction", "2033-12-01", "2026-12-03")]
    status = await sender.command("status q4")
    assert "slipped 1×, +2 days" in status.text  # 2026-12-01 → 2026-12-03, not +7 years


async def test_a_correction_of_the_target_a_launch_was_created_with_is_no_slip(sender, engine, clock):
    await sender.command("new Lynx target 2027-01-10")
    clock.now += timedelta(minutes=9)
    await sender.command("set lynx target 2027-01-20")
    assert targets(engine) == [("target correction", "2027-01-10", "2027-01-20")]
    status = await sender.command("status lynx")
    assert "*Slips*\\nnone" in status.text


async def test_a_later_change_or_someone_else_s_change_is_a_slip(sender, engine, clock):
    await sender.command("new Lynx target 2027-01-10")
    clock.now += timedelta(minutes=11)
    await sender.command("set lynx target 2027-01-12")
    clock.now += timedelta(minutes=1)
    await sender.command("set lynx target 2027-01-15", user="U0BOB")
    assert [field for field, _old, _new in targets(engine)] == ["target", "target"]
    status = await sender.command("status lynx")
    assert "slipped 2×, +5 days" in status.text


async def test_a_first_target_is_not_a_correction(sender, engine, clock):
    await sender.command("new Lynx")
    clock.now += timedelta(minutes=1)
    await sender.command("set lynx target 2027-01-10")
    clock.now += timedelta(minutes=1)
    await sender.command("set lynx target none")
    clock.now += timedelta(minutes=1)
    await sender.command("set lynx target 2027-01-12")
    assert targets(engine) == [("target", None, "2027-01-10"), ("target correction", "2027-01-10", None),
                               ("target", None, "2027-01-12")]


async def test_a_slip_is_measured_from_the_last_target_even_across_a_cleared_one(sender, engine, clock):
    await sender.command("new Q4 target 2026-12-01")
    for target in ("none", "2027-03-01"):
        clock.now += timedelta(hours=1)
        await sender.command(f"set q4 target {target}")
    status = await sender.command("status q4")
    assert "slipped 1×, +90 days" in status.text


async def test_a_correction_that_clears_the_target_keeps_the_slip_before_it(sender, engine, clock):
    await sender.command("new Q4 target 2026-12-01")
    for wait, target in ((60, "2026-12-31"), (5, "none"), (60, "2026-12-31")):
        clock.now += timedelta(minutes=wait)
        await sender.command(f"set q4 target {target}")
    assert [field for field, _old, _new in targets(engine)] == ["target", "target correction", "target"]
    status = await sender.command("status q4")
    assert "slipped 1×, +30 days" in status.text


async def test_the_correction_window_runs_from_the_change_corrected_not_from_the_last_correction(sender, engine,
                                                                                                    clock):
    await sender.command("new Q4 target 2026-12-01")
    clock.now += timedelta(hours=1)
    await sender.command("set q4 target 2027-01-01")
    for month in (2, 3):  # 9 and 18 minutes after the change they correct
        clock.now += timedelta(minutes=9)
        await sender.command(f"set q4 target 2027-0{month}-01")
    assert [field for field, _old, _new in targets(engine)] == ["target", "target correction", "target"]
    status = await sender.command("status q4")
    assert "slipped 2×, +90 days" in status.text  # 12-01 → 02-01 corrected, then → 03-01
