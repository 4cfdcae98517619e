"""`/launch rename`: a new name people can use; the key stays, so releases and subscriptions keep following."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.launches.models import Launch, LaunchChange
from bot.releases.models import Release
from tests.support.factories import add_component, add_launch


def launches(engine) -> list[Launch]:
    with Session(engine) as session:
        return list(session.exec(select(Launch)).all())


def launch_named(engine, key: str) -> Launch:
    with Session(engine) as session:
        return session.exec(select(Launch).where(Launch.key == key)).one()


async def test_rename_keeps_the_key_records_history_and_posts_in_the_thread(sender, engine, slack):
    with Session(engine) as session:
        add_launch(session, "Q4", channel="C0LAUNCHES")
    answer = await sender.command("rename q4 to Lynx launch")
    assert "renamed: Q4 → Lynx launch" in answer.text
    await sender.settle()
    _root, update = slack.messages["C0LAUNCHES"]
    assert "renamed: Q4 → Lynx launch" in str(update["blocks"])
    launch = launch_named(engine, "q4")
    assert (launch.name, launch.name_key) == ("Lynx launch", "lynx-launch")
    for name in ("lynx launch", "q4", "lynx"):
        card = await sender.command(f"status {name}")
        assert card.json["blocks"][0]["text"]["text"] == "Lynx launch", name
    with Session(engine) as session:
        change = session.exec(select(LaunchChange).where(LaunchChange.field == "name")).one()
    assert (change.actor_id, change.old_value, change.new_value) == ("U0ANN", "Q4", "Lynx launch")


async def test_rename_reads_to_inside_the_launch_name(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Road to v2")
    await sender.command("rename road to v2 to Highway")
    assert launch_named(engine, "road-to-v2").name == "Highway"
    await sender.command("set highway stage beta")
    assert launch_named(engine, "road-to-v2").stage == "beta"


async def test_rename_refuses_a_name_another_launch_or_a_component_answers_to(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Q4")
        add_launch(session, "Billing portal")
        add_component(session, "Payments API")
    await sender.command("rename billing portal to Lynx")
    for text, explanation in {
        "rename q4 to billing portal": "There is already a launch called “Lynx”",  # its key
        "rename q4 to LYNX": "There is already a launch called “Lynx”",
        "rename q4 to payments api": "is a component in the ownership directory",
        "rename q4 to": "Use `/launch rename &lt;launch&gt; to &lt;new name&gt;`",
        "rename q4 to 🚀": "needs at least one letter or digit",
    }.items():
        answer = await sender.command(text)
        assert explanation in answer.text, text
    assert launch_named(engine, "q4").name == "Q4"
    new = await sender.command("new Lynx")
    assert "There is already a launch called “Lynx”" in new.text


async def test_a_new_name_may_not_be_a_component_s_alias_or_a_name_releases_were_recorded_under(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Q4")
        add_component(session, "Billing", aliases=["Invoices"])
        session.add_all([Release(component=key, component_name=name, version="1.0", source="cli", fanned_out=True)
                         for key, name in (("payouts", "Payouts"), ("q4", "Q4"))])
        session.commit()
    for text, explanation in {
        "rename q4 to invoices": "“invoices” is a component in the ownership directory",
        "new Invoices": "“Invoices” is a component in the ownership directory",
        "rename q4 to Payouts": "“Payouts” is a component releases were recorded under",
        "new payouts": "“payouts” is a component releases were recorded under",
    }.items():
        answer = await sender.command(text)
        assert explanation in answer.text, text
    assert launch_named(engine, "q4").name == "Q4"
    await sender.command("rename q4 to Lynx")
    back = await sender.command("rename lynx to Q4")  # its own releases are recorded under its key
    assert "renamed: Lynx → Q4" in back.text


async def test_only_owner_creator_or_admins_rename(sender, engine, herald):
    herald.settings = dataclasses.replace(herald.settings, admins=frozenset({"U0ADMIN"}))
    with Session(engine) as session:
        add_launch(session, "Q4", owner="U0ANN")
    refused = await sender.command("rename q4 to Lynx", user="U0BOB")
    assert "Only the launch's owner, its creator or a Herald admin" in refused.text
    assert launch_named(engine, "q4").name == "Q4"
    await sender.command("rename q4 to Lynx", user="U0ADMIN")
    assert launch_named(engine, "q4").name == "Lynx"


@pytest.mark.parametrize("command, statement", [("rename q4 to Lynx", "UPDATE launch"), ("new Lynx", "INSERT INTO launch")])
async def test_a_name_taken_after_the_check_is_refused_in_words(sender, engine, command, statement):
    """Two people taking one name at once both pass the check: the one whose write comes second is told."""
    with Session(engine) as session:
        add_launch(session, "Q4")
    taken = []

    def take_it_first(_connection, _cursor, sql: str, *_args) -> None:
        if sql.startswith(statement) and not taken:  # the other person's launch is written just before
            taken.append(True)
            with Session(engine) as other:
                add_launch(other, "Lynx", owner="U0BOB")

    event.listen(engine, "before_cursor_execute", take_it_first)
    try:
        answer = await sender.command(command)
    finally:
        event.remove(engine, "before_cursor_execute", take_it_first)
    assert "There is already a launch called “Lynx”" in answer.text
    assert sorted(launch.name for launch in launches(engine)) == ["Lynx", "Q4"]
