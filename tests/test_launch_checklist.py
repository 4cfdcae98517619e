"""Naming checklist items the ways people do (a line copied from the card too), and removing them."""

from __future__ import annotations

import dataclasses
import re

from sqlmodel import Session, select

from bot.launches.models import ChecklistItem, LaunchChange
from tests.support.factories import add_launch


def done_labels(engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(ChecklistItem.label).where(ChecklistItem.done)).all())


def labels(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(ChecklistItem.label).order_by(ChecklistItem.position)).all())


async def test_a_line_copied_from_the_card_ticks_its_item(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Lynx")
    card = await sender.command("status lynx")
    assert ":white_large_square: 1. Docs and release notes ready" in card.text
    await sender.command("check lynx 1. Docs and release notes ready")
    await sender.command("check lynx ✅ 2. Support briefed")
    await sender.command("check lynx :white_large_square: 3. Marketing sign-off")
    assert done_labels(engine) == ["Docs and release notes ready", "Marketing sign-off", "Support briefed"]


async def test_an_item_by_number_with_a_dot_or_hash_or_by_its_label_in_any_case(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Lynx")
    await sender.command("check lynx 1.")
    await sender.command("check lynx #2")
    await sender.command("check lynx   MONITORING and   ALERTS in place")
    assert done_labels(engine) == ["Docs and release notes ready", "Monitoring and alerts in place",
                                   "Support briefed"]


async def test_an_unknown_item_lists_the_ways_to_name_each_and_those_ways_work(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Lynx")
    refused = await sender.command("check lynx 7. Penguins fed")
    assert "Which checklist item is “7. Penguins fed”?" in refused.text
    suggested = re.findall(r"`(\d+\. [^`]+)`", refused.json["blocks"][0]["text"]["text"])
    assert suggested[0] == "1. Docs and release notes ready" and len(suggested) == 5
    assert done_labels(engine) == []
    for line in suggested:
        answer = await sender.command(f"check lynx {line}")
        assert "Updated" in answer.text, line
    assert len(done_labels(engine)) == 5


async def test_remove_item_takes_it_off_and_the_rest_move_up(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Lynx")
    answer = await sender.command("remove-item lynx 2. Support briefed")
    assert "checklist − 2. Support briefed" in answer.text
    assert labels(engine) == ["Docs and release notes ready", "Marketing sign-off", "Monitoring and alerts in place",
                              "Rollback plan tested"]
    card = await sender.command("status lynx")
    assert "2. Marketing sign-off" in card.text and "0% (0/4)" in card.text
    await sender.command("remove-item lynx rollback")
    await sender.command("check lynx 2")
    assert done_labels(engine) == ["Marketing sign-off"]
    with Session(engine) as session:
        history = session.exec(select(LaunchChange.new_value).where(LaunchChange.field == "checklist")
                               .order_by(LaunchChange.id)).all()
    assert history == ["− 2. Support briefed", "− 4. Rollback plan tested", "☑ Marketing sign-off"]


async def test_remove_item_is_for_the_owner_and_admins_and_refuses_unknown_items(sender, engine, herald):
    herald.settings = dataclasses.replace(herald.settings, admins=frozenset({"U0ADMIN"}))
    with Session(engine) as session:
        add_launch(session, "Lynx", owner="U0ANN")
    refused = await sender.command("remove-item lynx 1", user="U0BOB")
    assert "Only the launch's owner, its creator or a Herald admin" in refused.text
    unknown = await sender.command("remove-item lynx 9")
    assert "Which checklist item is “9”?" in unknown.text
    assert len(labels(engine)) == 5
    await sender.command("remove-item lynx 1", user="U0ADMIN")
    assert len(labels(engine)) == 4


async def test_an_item_named_like_a_number_is_refused_so_numbers_always_mean_positions(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Rocket")
    for label in ("7", "7.", "#7", "3. Extra", "#3. Extra", "✅ 4."):
        refused = await sender.command(f"add-item rocket {label}")
        assert "A checklist item can't be named like a number" in refused.text, label
    assert len(labels(engine)) == 5
    for label in ("Step 7", "3.5 rollout", "2FA enforced"):
        assert "checklist + " in (await sender.command(f"add-item rocket {label}")).text, label
    await sender.command("check rocket 7")  # the 7th item, "3.5 rollout"
    await sender.command("check rocket step 7")
    assert done_labels(engine) == ["3.5 rollout", "Step 7"]
