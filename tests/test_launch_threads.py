"""A launch's updates thread in its channel; moving it to another channel starts a new thread there."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.launches.changes import Change
from bot.launches.models import Launch, LaunchChange
from bot.launches.thread import post_launch_update
from tests.support.factories import add_launch


def posts(slack) -> list[dict]:
    return [call.args for call in slack.calls_to("chat.postMessage")]


def thread_root(engine) -> str | None:
    with Session(engine) as session:
        return session.exec(select(Launch.thread_ts)).one()


async def test_moving_a_launch_starts_a_new_thread_in_the_new_channel(sender, engine, slack):
    slack.add_channel("C0MOBILE", "mobile")
    with Session(engine) as session:
        add_launch(session, "Q4", channel="C0LAUNCHES")
    await sender.command("set q4 stage beta")
    await sender.settle()
    old_root, old_reply = slack.messages["C0LAUNCHES"]
    assert old_reply["thread_ts"] == old_root["ts"]

    await sender.command("set q4 channel <#C0MOBILE|mobile>")
    await sender.settle()
    await sender.command("set q4 stage ready")
    await sender.settle()

    new_root, moved, readied = slack.messages["C0MOBILE"]
    assert new_root["thread_ts"] is None and new_root["blocks"][0]["text"]["text"] == "Q4"
    assert "channel:" in str(moved["blocks"]) and "beta → ready" in str(readied["blocks"])
    assert moved["thread_ts"] == readied["thread_ts"] == new_root["ts"]
    assert all(post.get("thread_ts") != old_root["ts"] for post in posts(slack) if post["channel"] == "C0MOBILE")
    assert len(slack.messages["C0LAUNCHES"]) == 2  # nothing more in the old thread
    assert thread_root(engine) == new_root["ts"]


async def test_moving_a_launch_forgets_its_thread_in_the_same_change(sender, engine, slack):
    slack.add_channel("C0MOBILE", "mobile")
    with Session(engine) as session:
        add_launch(session, "Q4", channel="C0LAUNCHES")
    await sender.command("set q4 stage beta")
    await sender.settle()
    assert thread_root(engine) is not None
    await sender.command("set q4 channel none")  # nothing is posted: no channel to post in
    await sender.settle()
    assert thread_root(engine) is None
    assert len(slack.messages["C0LAUNCHES"]) == 2


async def test_an_update_made_before_a_move_posts_with_the_channel_and_root_read_together(sender, engine, slack, herald):
    """An update still on its way when the launch moves never pairs the new channel with the old root."""
    slack.add_channel("C0MOBILE", "mobile")
    with Session(engine) as session:
        add_launch(session, "Q4", channel="C0LAUNCHES")
    await sender.command("set q4 stage beta")
    await sender.settle()
    old_root = slack.messages["C0LAUNCHES"][0]
    with session_scope(herald.engine) as session:  # an update made while the launch was still in #launches
        launch = session.exec(select(Launch)).one()
        made_before = Change(launch, [LaunchChange(launch_id=launch.id, actor_id="U0ANN", field="risk",
                                                   old_value="on_track", new_value="at_risk")])
    await sender.command("set q4 channel <#C0MOBILE|mobile>")
    await sender.settle()

    await post_launch_update(herald, made_before)

    assert all(post.get("thread_ts") != old_root["ts"] for post in posts(slack) if post["channel"] == "C0MOBILE")
    root = slack.messages["C0MOBILE"][0]
    assert [m["thread_ts"] for m in slack.messages["C0MOBILE"][1:]] == [root["ts"], root["ts"]]


async def test_a_channel_typed_as_plain_text_is_refused(sender, engine, slack):
    with Session(engine) as session:
        add_launch(session, "Q4", channel="C0LAUNCHES")
    moved = await sender.command("set q4 channel #nosuch")
    assert "I can't find a channel “#nosuch”" in moved.text
    created = await sender.command("new Lynx #nosuch")
    assert "I can't find a channel “#nosuch”" in created.text
    with Session(engine) as session:
        assert [(launch.name, launch.channel_id) for launch in session.exec(select(Launch)).all()] == [
            ("Q4", "C0LAUNCHES")]
        assert len(session.exec(select(LaunchChange)).all()) == 1  # only "created"
