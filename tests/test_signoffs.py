"""Sign-offs: asking people, user groups and teams in Slack, and their answers (buttons pressed by the right and
the wrong person, the reason form), with every step in the launch's history."""

from __future__ import annotations

import time

from sqlmodel import Session, select

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.launches.models import LaunchChange, Stage
from bot.launches.signoff_models import SignoffAsk, SignoffRequest
from tests.support.factories import add_launch, add_team


def _posts_to(slack, channel: str) -> list[dict]:
    return [c.args for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel]


def _button(message: dict, action_id: str) -> dict:
    return next(element for block in message["blocks"] if block["type"] == "actions"
                for element in block["elements"] if element["action_id"] == action_id)


async def _ask(sender, slack, engine, text: str) -> dict:
    answer = await sender.command(text)
    await sender.settle()
    assert answer.status == 200
    return answer.json


async def test_a_person_a_user_group_and_a_team_are_asked_where_each_reads(sender, slack, engine):
    for user, name in [("U0BEN", "ben"), ("U0SUE", "sue"), ("U0TOM", "tom"), ("U0LIZ", "liz")]:
        slack.add_user(user, name)
    slack.usergroups["S0SUP"] = ["U0SUE", "U0TOM"]
    slack.add_channel("C0LEGAL", "legal")
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
        add_team(session, "Legal", members=["U0LIZ"], channel="C0LEGAL")
        add_team(session, "Security", members=["U0LIZ"])
    reply = await _ask(sender, slack, engine,
                       "signoff Checkout v2 request <@U0BEN|ben> <!subteam^S0SUP|@support-team> legal security")
    assert "Asked *@ben*, *@support-team*, *Legal*, *Security* to sign off *Checkout v2*" in reply["text"] + str(reply)
    for where in ("U0BEN", "U0SUE", "U0TOM", "C0LEGAL", "U0LIZ"):  # a team with a channel is asked there
        [ask] = _posts_to(slack, where)
        assert "to sign off *Checkout v2*" in str(ask["blocks"])
        assert _button(ask, ActionId.APPROVE_SIGNOFF)["text"]["text"] == "Approve"
        assert _button(ask, ActionId.ASK_FOR_CHANGES)["text"]["text"] == "Needs changes"
    with Session(engine) as session:
        assert session.exec(select(SignoffRequest.who).order_by(SignoffRequest.id)).all() == [
            "U0BEN", "S0SUP", "team:legal", "team:security"]
        assert all(ask.ts for ask in session.exec(select(SignoffAsk)).all())  # each remembers its message
        asked = session.exec(select(LaunchChange.new_value).where(LaunchChange.field == "sign-off")).all()
        assert sorted(asked) == ["@ben: asked", "@support-team: asked", "Legal: asked", "Security: asked"]
    in_channel = _button(_posts_to(slack, "C0LEGAL")[0], ActionId.APPROVE_SIGNOFF)["value"]
    await sender.action({"type": "button", "action_id": ActionId.APPROVE_SIGNOFF, "value": in_channel}, user="U0LIZ")
    await sender.settle()
    with Session(engine) as session:  # a member of the team, per the directory, answers for it in its channel
        assert session.exec(select(SignoffRequest.answer).where(SignoffRequest.who == "team:legal")).one() == "approved"
    again = await _ask(sender, slack, engine, "signoff Checkout v2 request <@U0BEN|ben>")
    assert "Asked before: @ben" in str(again) and len(_posts_to(slack, "U0BEN")) == 1


async def test_approving_updates_every_ask_and_tells_the_owner_when_all_are_in(sender, slack, engine):
    slack.add_user("U0SUE", "sue")
    slack.add_user("U0TOM", "tom")
    slack.usergroups["S0SUP"] = ["U0SUE", "U0TOM"]
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
    await _ask(sender, slack, engine, "signoff Checkout v2 request <!subteam^S0SUP|@support-team>")
    value = _button(_posts_to(slack, "U0SUE")[0], ActionId.APPROVE_SIGNOFF)["value"]
    await sender.action({"type": "button", "action_id": ActionId.APPROVE_SIGNOFF, "value": value}, user="U0TOM")
    await sender.settle()
    updated = slack.calls_to("chat.update")
    assert {c.args["channel"] for c in updated} == {"D0SUE", "D0TOM"}  # both members see the answer
    assert "*Approved* by <@U0TOM>" in str(updated[0].args["blocks"])
    [told] = _posts_to(slack, "U0ANN")
    assert "Every team asked approved *Checkout v2*" in str(told["blocks"])
    status = await sender.command("signoff Checkout v2")
    assert "1/1 approved" in status.text and "@support-team — <@U0TOM>" in status.text
    with Session(engine) as session:
        change = session.exec(select(LaunchChange).where(LaunchChange.old_value.is_not(None))).one()
        assert (change.field, change.old_value, change.new_value) == ("sign-off", "@support-team: pending",
                                                                      "@support-team: approved")


async def test_a_forwarded_button_pressed_by_someone_else_is_refused_and_changes_nothing(sender, slack, engine):
    slack.add_user("U0BEN", "ben")
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
    await _ask(sender, slack, engine, "signoff Checkout v2 request <@U0BEN|ben>")
    value = _button(_posts_to(slack, "U0BEN")[0], ActionId.APPROVE_SIGNOFF)["value"]
    await sender.action({"type": "button", "action_id": ActionId.APPROVE_SIGNOFF, "value": value}, user="U0EVE")
    await sender.action({"type": "button", "action_id": ActionId.APPROVE_SIGNOFF, "value": "12;drop"}, user="U0BEN")
    await sender.action({"type": "button", "action_id": ActionId.ASK_FOR_CHANGES, "value": value}, user="U0EVE")
    await sender.settle()
    refusals = slack.response_url_posts_to("action")
    assert "only they can answer it" in str(refusals[0]) and "out of date" in str(refusals[1])
    [form] = slack.calls_to("views.open")
    assert "only they can answer it" in str(form.args["view"]["blocks"])
    with Session(engine) as session:
        assert session.exec(select(SignoffRequest.answer)).one() == "pending"
    assert not slack.calls_to("chat.update")


async def test_needs_changes_takes_a_reason_tells_the_owner_at_once_and_may_become_approval(sender, slack, engine):
    slack.add_user("U0LIZ", "liz")
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
        add_team(session, "Legal", members=["U0LIZ"])
    await _ask(sender, slack, engine, "signoff Checkout v2 request Legal")
    value = _button(_posts_to(slack, "U0LIZ")[0], ActionId.ASK_FOR_CHANGES)["value"]
    await sender.action({"type": "button", "action_id": ActionId.ASK_FOR_CHANGES, "value": value}, user="U0LIZ")
    await sender.settle()
    [opened] = slack.calls_to("views.open")
    form = opened.args["view"]
    assert form["callback_id"] == ViewId.SIGNOFF_CHANGES

    def submit(reason: str | None, user: str = "U0LIZ"):
        values = {BlockId.SIGNOFF_REASON: {ActionId.INPUT: {"type": "plain_text_input", "value": reason}}}
        return sender.view_submission({"callback_id": form["callback_id"], "private_metadata": form["private_metadata"],
                                       "state": {"values": values}}, user=user)

    assert (await submit("  ")).json["errors"][BlockId.SIGNOFF_REASON] == "Say what needs to change."
    assert "reverse how text is shown" in (await submit("\u202eon hold")).json["errors"][BlockId.SIGNOFF_REASON]
    assert (await submit("<b>terms</b> &\x00 DPA\x1b missing")).status == 200  # controls: spaces, as stored
    await sender.settle()
    [told] = _posts_to(slack, "U0ANN")
    assert "*Legal* asked for changes" in str(told["blocks"]) and "&lt;b&gt;terms&lt;/b&gt; &amp; DPA" in str(told)
    status = await sender.command("signoff Checkout v2")
    assert "Needs changes" in status.text and "DPA missing" in status.text
    await sender.action({"type": "button", "action_id": ActionId.APPROVE_SIGNOFF, "value": value}, user="U0LIZ")
    await sender.settle()
    with Session(engine) as session:
        history = session.exec(select(LaunchChange.field, LaunchChange.old_value, LaunchChange.new_value)
                               .where(LaunchChange.field.startswith("sign-off")).order_by(LaunchChange.id)).all()
        assert history == [("sign-off", None, "Legal: asked"),
                           ("sign-off", "Legal: pending", "Legal: needs changes"),
                           ("sign-off reason", None, "<b>terms</b> & DPA missing"),
                           ("sign-off", "Legal: needs changes", "Legal: approved")]
        assert session.exec(select(SignoffRequest.reason)).one() is None
    assert "Every team asked approved" in str(_posts_to(slack, "U0ANN")[-1])


async def test_answers_stop_changing_once_the_launch_is_launched(sender, slack, engine):
    slack.add_user("U0BEN", "ben")
    with Session(engine) as session:
        launch = add_launch(session, "Checkout v2", owner="U0ANN")
    await _ask(sender, slack, engine, "signoff Checkout v2 request <@U0BEN|ben>")
    with Session(engine) as session:
        launch = session.get(type(launch), launch.id)
        launch.stage = Stage.LAUNCHED
        session.add(launch)
        session.commit()
    value = _button(_posts_to(slack, "U0BEN")[0], ActionId.APPROVE_SIGNOFF)["value"]
    await sender.action({"type": "button", "action_id": ActionId.APPROVE_SIGNOFF, "value": value}, user="U0BEN")
    await sender.settle()
    assert "has launched" in str(slack.response_url_posts_to("action"))
    with Session(engine) as session:
        assert session.exec(select(SignoffRequest.answer)).one() == "pending"


async def test_bad_requests_are_answered_in_words_and_store_nothing(sender, slack, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
        add_team(session, "Ghosts")
    assert "Name whom to ask" in (await sender.command("signoff Checkout v2 request")).text
    assert "Mention them with @" in (await sender.command("signoff Checkout v2 request @ben")).text
    assert "no channel and no member" in (await sender.command("signoff Checkout v2 request ghosts")).text
    assert "I don't know a team “lawyers”" in (await sender.command("signoff Checkout v2 request lawyers")).text
    assert "can't read the members" in (await sender.command("signoff Checkout v2 request <!subteam^S0NO|@x>")).text
    slack.usergroups["S0SLOW"] = ["U0ANN"]
    slack.rate_limit("usergroups.users.list", retry_after=30)  # the ack cannot wait that long
    slow = await sender.command("signoff Checkout v2 request <!subteam^S0SLOW|@slow>")
    assert "Slack is slow to tell me who is in @slow; nothing was asked" in slow.text
    assert "Nobody has been asked yet" in (await sender.command("signoff Checkout v2")).text
    with Session(engine) as session:
        assert not session.exec(select(SignoffRequest)).all()


async def test_several_user_groups_are_looked_up_at_once_so_the_ack_stays_within_slack_s_3_s(sender, slack, engine):
    """Each group had 2 s of its own, one after another: three slow ones acked at 5.4 s, after Slack gave up."""
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
    for group in ("S0LEGAL", "S0SEC", "S0SUP"):
        slack.usergroups[group] = ["U0BOB"]
    slack.slow("usergroups.users.list", 1.5)
    started = time.monotonic()
    answer = await sender.command("signoff Checkout v2 request <!subteam^S0LEGAL|@legal> <!subteam^S0SEC|@security> "
                                  "<!subteam^S0SUP|@support>")
    assert time.monotonic() - started < 3  # Slack waits 3 s for the ack (over Socket Mode the fake enforces it)
    assert "Asked" in answer.text
