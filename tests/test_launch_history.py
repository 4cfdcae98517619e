"""`/launch history`: every change of a launch, newest first, a page at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.core.block_ids import ActionId
from bot.launches.models import Launch, LaunchChange
from tests.conftest import NOW
from tests.support.factories import add_launch


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


def buttons(message: dict) -> dict[str, dict]:
    """The paging buttons of a history page, by their text."""
    return {element["text"]["text"]: element for block in message["blocks"] if block["type"] == "actions"
            for element in block["elements"]}


async def test_history_shows_every_change_newest_first_with_who_and_when(sender, engine, herald):
    await add_risk_changes(sender, engine, 3)
    answer = await sender.command("history lynx")
    sections = [block["text"]["text"] for block in answer.json["blocks"] if block["type"] == "section"]
    assert [s.split("→ ")[-1] for s in sections[:3]] == ["reason 2", "reason 1", "reason 0"]
    assert sections[0].startswith(f"{herald.renderer.format_when(NOW + timedelta(hours=3))} · <@U0BOB>")
    assert sections[1].startswith("Wed 25 Nov 2026 12:30")  # 11:30 UTC, in Europe/Berlin
    assert "created the launch" in sections[-1]
    assert "Page 1 of 1 · 4 changes" in answer.text
    assert buttons(answer.json) == {}


async def test_history_pages_back_with_the_older_button_and_by_page_number(sender, engine, slack):
    launch_id = await add_risk_changes(sender, engine, 44)  # 45 changes with "created": three pages
    first = await sender.command("history lynx")
    assert "reason 43" in first.text and "reason 23" not in first.text
    older = buttons(first.json)["Older"]
    assert (older["action_id"], older["value"]) == (f"{ActionId.SHOW_HISTORY_PAGE}.older", f"{launch_id}:2")

    await sender.action(older)
    [second] = slack.response_url_posts_to("action")
    assert second["replace_original"] is True
    assert "reason 23" in str(second["blocks"]) and "reason 24" not in str(second["blocks"])
    assert "Page 2 of 3" in str(second["blocks"])

    last = await sender.command("history lynx page 3")
    assert "created the launch" in last.text and "Page 3 of 3" in last.text
    assert list(buttons(last.json)) == ["Newer"]
    beyond = await sender.command("history lynx page 4")
    assert "has 3 pages of history" in beyond.text


async def test_an_older_button_whose_value_herald_did_not_write_is_answered_as_out_of_date(sender, engine, slack):
    launch_id = await add_risk_changes(sender, engine, 1)
    forged = ["abc", "1:x", "", ":", f"{launch_id}:²", f"{launch_id}:", f"{launch_id}:2:3", f"{10 ** 30}:1"]
    for value in forged:
        answer = await sender.action({"type": "button", "action_id": ActionId.SHOW_HISTORY_PAGE, "value": value})
        assert answer.status == 200, value
    answers = [post["text"] for post in slack.response_url_posts_to("action")]
    assert answers == ["This button is out of date: run the command again."] * len(forged)


@pytest.mark.parametrize("page", ["-1", "abc", "²", "one"])
async def test_a_page_that_is_not_a_number_after_a_launch_says_pages_are_numbered_from_1(sender, engine, page):
    await add_risk_changes(sender, engine, 1)
    answer = await sender.command(f"history lynx page {page}")
    assert answer.json["response_type"] == "ephemeral"
    assert "Pages are numbered from 1: `/launch history Lynx page 2`" in answer.text, answer.text


async def test_page_words_that_end_a_launch_s_own_name_are_its_name_and_unknown_names_are_answered(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Lynx page one")
    assert "History of Lynx page one" in (await sender.command("history lynx page one")).text
    unknown = await sender.command("history lynks page abc")
    assert "I can't find a launch called “lynks page abc”" in unknown.text


async def test_newer_and_older_buttons_page_both_ways_each_replacing_the_page(sender, engine, slack):
    launch_id = await add_risk_changes(sender, engine, 44)  # three pages
    first = await sender.command("history lynx")
    assert list(buttons(first.json)) == ["Older"]

    async def press(message: dict, text: str) -> dict:
        await sender.action(buttons(message)[text])
        post = slack.response_url_posts_to("action")[-1]
        assert post["replace_original"] is True
        return post

    second = await press(first.json, "Older")
    assert "Page 2 of 3" in str(second["blocks"])
    assert {text: b["value"] for text, b in buttons(second).items()} == {"Newer": f"{launch_id}:1",
                                                                         "Older": f"{launch_id}:3"}
    back = await press(second, "Newer")
    assert "Page 1 of 3" in str(back["blocks"]) and "reason 43" in str(back["blocks"])
    last = await press(second, "Older")
    assert "Page 3 of 3" in str(last["blocks"]) and list(buttons(last)) == ["Newer"]


async def test_a_shared_history_page_has_no_paging_buttons_and_says_which_page_it_is(sender, engine):
    await add_risk_changes(sender, engine, 44)
    shared = await sender.command("history lynx --share")
    assert shared.json["response_type"] == "in_channel"
    assert buttons(shared.json) == {}
    assert "Page 1 of 3" in shared.json["blocks"][-1]["elements"][0]["text"]


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
