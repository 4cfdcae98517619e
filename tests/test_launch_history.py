"""`/launch history`: every change of a launch, newest first, a page at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.core.block_ids import ActionId
from bot.launches.models import Launch, LaunchChange
from tests.conftest import NOW


async def add_risk_changes(sender, engine, count: int) -> int:
    """A launch created at NOW, then `count` risk reasons an hour apart; the launch's id."""
    await sender.command("new Lynx")
    with Session(engine) as session:
        launch = session.exec(select(Launch)).one()
        session.add_all(LaunchChange(launch_id=launch.id, at=NOW + timedelta(hours=n + 1), actor_id="U0BOB",
                                     field="risk reason", old_value=None, new_value=f"reason {n}")
                        for n in range(count))
        session.commit()
        return launch.id


def button(answer_json: dict) -> dict | None:
    actions = [block for block in answer_json["blocks"] if block["type"] == "actions"]
    return actions[0]["elements"][0] if actions else None


async def test_history_shows_every_change_newest_first_with_who_and_when(sender, engine, herald):
    await add_risk_changes(sender, engine, 3)
    answer = await sender.command("history lynx")
    sections = [block["text"]["text"] for block in answer.json["blocks"] if block["type"] == "section"]
    assert [s.split("→ ")[-1] for s in sections[:3]] == ["reason 2", "reason 1", "reason 0"]
    assert sections[0].startswith(f"{herald.renderer.format_when(NOW + timedelta(hours=3))} · <@U0BOB>")
    assert sections[1].startswith("Wed 25 Nov 2026 12:30")  # 11:30 UTC, in Europe/Berlin
    assert "created the launch" in sections[-1]
    assert "Page 1 of 1 · 4 changes" in answer.text
    assert button(answer.json) is None


async def test_history_pages_back_with_the_older_button_and_by_page_number(sender, engine, slack):
    launch_id = await add_risk_changes(sender, engine, 44)  # 45 changes with "created": three pages
    first = await sender.command("history lynx")
    assert "reason 43" in first.text and "reason 23" not in first.text
    older = button(first.json)
    assert (older["action_id"], older["value"]) == (ActionId.SHOW_OLDER_HISTORY, f"{launch_id}:2")

    await sender.action(older)
    [second] = slack.response_url_posts_to("action")
    assert second["replace_original"] is True
    assert "reason 23" in str(second["blocks"]) and "reason 24" not in str(second["blocks"])
    assert "Page 2 of 3" in str(second["blocks"])

    last = await sender.command("history lynx page 3")
    assert "created the launch" in last.text and "Page 3 of 3" in last.text
    assert button(last.json) is None
    beyond = await sender.command("history lynx page 4")
    assert "has 3 pages of history" in beyond.text


async def test_an_older_button_whose_value_herald_did_not_write_is_answered_as_out_of_date(sender, engine, slack):
    launch_id = await add_risk_changes(sender, engine, 1)
    forged = ["abc", "1:x", "", ":", f"{launch_id}:²", f"{launch_id}:", f"{launch_id}:2:3", f"{10 ** 30}:1"]
    for value in forged:
        answer = await sender.action({"type": "button", "action_id": ActionId.SHOW_OLDER_HISTORY, "value": value})
        assert answer.status == 200, value
    answers = [post["text"] for post in slack.response_url_posts_to("action")]
    assert answers == ["This button is out of date: run the command again."] * len(forged)


async def test_a_page_number_in_digits_that_are_not_0_to_9_is_not_a_page(sender, engine):
    await add_risk_changes(sender, engine, 1)
    answer = await sender.command("history lynx page ²")
    assert "I can't find a launch called “lynx page ²”" in answer.text


async def test_history_of_an_unknown_launch_suggests_names(sender, engine):
    await add_risk_changes(sender, engine, 1)
    answer = await sender.command("history lynks")
    assert "I can't find a launch called “lynks”" in answer.text


async def test_the_new_subcommands_say_how_to_use_them_and_help_lists_them(sender, engine):
    await sender.command("new Lynx")
    for text, explanation in {
        "history": "Use `/launch history &lt;launch&gt; [page N]`",
        "history lynx page 0": "ask for one from 1 to 1",
        "rename": "Use `/launch rename &lt;launch&gt; to &lt;new name&gt;`",
        "rename lynx": "Use `/launch rename &lt;launch&gt; to &lt;new name&gt;`",
        "remove-item lynx": "Use `/launch remove-item &lt;launch&gt; &lt;item number or name&gt;`",
    }.items():
        answer = await sender.command(text)
        assert answer.json["response_type"] == "ephemeral" and explanation in answer.text, text
    help_text = (await sender.command("help")).text
    for command in ("/launch history", "/launch rename", "/launch remove-item", "`--all`", "`--past`"):
        assert command in help_text, command
