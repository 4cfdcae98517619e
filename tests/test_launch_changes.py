"""Creating and changing launches from Slack: history, threaded updates, and refusals that store nothing."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, func, select

from bot.launches.models import ChecklistItem, Launch, LaunchChange
from tests.support.factories import add_launch


def launches_in(engine) -> list[Launch]:
    with Session(engine) as session:
        return list(session.exec(select(Launch)).all())


def history_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(LaunchChange)).one()


async def test_new_launch_with_target_owner_and_channel(sender, engine):
    answer = await sender.command("new Checkout v2 target 2026-12-20 <@U0BOB|bob> <#C0LAUNCHES|launches>")
    assert answer.json["blocks"][0]["text"]["text"] == "Checkout v2"
    [launch] = launches_in(engine)
    assert (launch.key, launch.owner_id, launch.channel_id, str(launch.target_date)) == (
        "checkout-v2", "U0BOB", "C0LAUNCHES", "2026-12-20")
    assert launch.created_by == "U0ANN"
    assert history_count(engine) == 1


async def test_new_launch_without_owner_is_owned_by_its_creator(sender, engine):
    await sender.command('new "Q4 pricing"', user="U0BOB")
    [launch] = launches_in(engine)
    assert (launch.name, launch.owner_id) == ("Q4 pricing", "U0BOB")


async def test_names_with_emoji_and_right_to_left_text_are_kept(sender, engine):
    await sender.command("new 🚀 השקה חדשה")
    answer = await sender.command("status 🚀 השקה חדשה")
    assert answer.json["blocks"][0]["text"]["text"] == "🚀 השקה חדשה"


async def test_typed_ampersands_are_stored_as_typed(sender, engine):
    await sender.command("new R&amp;D tools")  # Slack escapes & < > in command text
    [launch] = launches_in(engine)
    assert launch.name == "R&D tools"


async def test_bad_input_is_explained_and_nothing_is_stored(sender, engine):
    cases = {
        "new Checkout target 2026-13-45": "is not a date I can read",
        "new Checkout 2026-02-30": "is not a date I can read",
        "new " + "x" * 2000: "at most 80 characters; yours has 2000",
        "new 🚀🚀": "needs at least one letter or digit",
        "new Checkout @nobody": "I don't know a Slack user “@nobody”",
        "launchify everything": "I don't know `/launch launchify`",
    }
    for text, explanation in cases.items():
        answer = await sender.command(text)
        assert answer.status == 200
        assert answer.json["response_type"] == "ephemeral"
        assert explanation in answer.text, text
    assert launches_in(engine) == []
    assert history_count(engine) == 0


async def test_duplicate_name_is_refused(sender, engine):
    await sender.command("new Checkout v2")
    answer = await sender.command("new checkout V2")
    assert "already a launch called" in answer.text
    assert len(launches_in(engine)) == 1


async def test_set_target_records_history_and_counts_a_slip(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", target="2026-12-01")
    answer = await sender.command("set checkout v2 target 2026-12-10")
    assert "2026-12-01 → 2026-12-10" in answer.text
    status = await sender.command("status checkout v2")
    assert "slipped 1×, +9 days" in status.text
    with Session(engine) as session:
        change = session.exec(select(LaunchChange).where(LaunchChange.field == "target")).one()
    assert (change.actor_id, change.old_value, change.new_value) == ("U0ANN", "2026-12-01", "2026-12-10")


async def test_field_names_inside_launch_names_are_understood(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Risk dashboard")
    await sender.command("set Risk dashboard risk at_risk design review slipped")
    [launch] = launches_in(engine)
    assert (launch.risk, launch.risk_reason) == ("at_risk", "design review slipped")


async def test_risk_needs_a_reason_unless_on_track(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2")
    answer = await sender.command("set checkout v2 risk blocked")
    assert "Say why it is blocked" in answer.text
    assert launches_in(engine)[0].risk == "on_track"
    await sender.command("set checkout v2 risk blocked vendor is late")
    await sender.command("set checkout v2 risk on_track")
    [launch] = launches_in(engine)
    assert (launch.risk, launch.risk_reason) == ("on_track", None)


async def test_set_refuses_unknown_fields_and_values(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2")
    for text, explanation in {
        "set checkout v2 stage shipped-ish": "is not a stage",
        "set checkout v2 owner @nobody": "I don't know a Slack user",
        "set checkout v2 channel launches": "is not a channel",
        "set checkout v2 colour blue": "Use `/launch set &lt;launch&gt; &lt;field&gt; &lt;value&gt;`",
        "set checkout v2 target": "Give a value",
        "set nothing-like-it stage beta": "I can't find a launch",
    }.items():
        answer = await sender.command(text)
        assert explanation in answer.text, text
    assert history_count(engine) == 1  # only "created"


async def test_changes_post_one_thread_per_launch_in_its_channel(sender, engine, slack):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", channel="C0LAUNCHES", target="2026-12-01")
    await sender.command("set checkout v2 stage beta")
    await sender.settle()
    await sender.command("check checkout v2 1")
    await sender.settle()
    root, first, second = slack.messages["C0LAUNCHES"]
    assert root["thread_ts"] is None and root["blocks"][0]["text"]["text"] == "Checkout v2"
    assert first["thread_ts"] == root["ts"] and "stage: building → beta" in first["text"] + str(first["blocks"])
    assert second["thread_ts"] == root["ts"] and "Docs and release notes ready" in str(second["blocks"])
    assert launches_in(engine)[0].thread_ts == root["ts"]


async def test_update_joins_a_public_channel_it_is_not_in(sender, engine, slack):
    slack.chat_write_public = False
    slack.add_channel("C0NEW", "new-launch", is_member=False)
    with Session(engine) as session:
        add_launch(session, "Checkout v2", channel="C0NEW")
    await sender.command("set checkout v2 stage beta")
    await sender.settle()
    assert [call.args["channel"] for call in slack.calls_to("conversations.join")] == ["C0NEW"]
    assert len(slack.messages["C0NEW"]) == 2


async def test_update_to_a_missing_channel_tells_the_person_who_made_it(sender, engine, slack):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", channel="C0GONE")
    answer = await sender.command("set checkout v2 stage beta")
    assert "stage: building → beta" in answer.text  # the change itself is kept
    await sender.settle()
    [dm] = [call for call in slack.calls_to("chat.postMessage") if call.args["channel"] == "U0ANN"]
    assert "channel_not_found" in dm.args["text"]


async def test_updates_wait_out_slack_rate_limits(sender, engine, slack):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", channel="C0LAUNCHES")
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    await sender.command("set checkout v2 stage beta")
    await sender.settle()
    assert len(slack.rate_limited_calls) == 1
    assert len(slack.messages["C0LAUNCHES"]) == 2


async def test_checklist_items_by_number_or_name(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2")
    await sender.command("check checkout v2 2")
    await sender.command("check checkout v2 rollback")
    await sender.command("add-item checkout v2 Legal review")
    await sender.command("check checkout v2 legal review")
    await sender.command("uncheck checkout v2 2")
    answer = await sender.command("status checkout v2")
    assert "33% (2/6)" in answer.text
    unknown = await sender.command("check checkout v2 penguins")
    assert "Which checklist item is “penguins”" in unknown.text
    with Session(engine) as session:
        done = session.exec(select(ChecklistItem.label).where(ChecklistItem.done)).all()
    assert sorted(done) == ["Legal review", "Rollback plan tested"]


async def test_only_owner_creator_or_admins_change_a_launch_when_admins_are_set(sender, engine, herald):
    herald.settings = dataclasses.replace(herald.settings, admins=frozenset({"U0ADMIN"}))
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN")
    refused = await sender.command("set checkout v2 stage beta", user="U0BOB")
    assert "Only the launch's owner, its creator or a Herald admin" in refused.text
    assert launches_in(engine)[0].stage == "building"
    await sender.command("set checkout v2 stage beta", user="U0ADMIN")
    assert launches_in(engine)[0].stage == "beta"
