"""`/launch status --all`: the board with launched and cancelled launches too, last, with their dates."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from tests.support.factories import add_launch


async def test_status_all_lists_launched_and_cancelled_after_the_active_ones(sender, engine, clock, herald):
    with Session(engine) as session:
        add_launch(session, "Calm one")
        add_launch(session, "Gone one", stage="cancelled")
    await sender.command("new Lynx")
    clock.now += timedelta(days=2)
    await sender.command("set lynx stage launched")
    board = await sender.command("status --all")
    text = board.text
    assert text.index("Calm one") < text.index("*Launched (1)*") < text.index("Lynx") < text.index(
        "*Cancelled (1)*") < text.index("Gone one")
    assert f"*Lynx* · {herald.renderer.format_when(clock.now)}" in text
    active = await sender.command("status")
    assert "Lynx" not in active.text and "Gone one" not in active.text and "--all" in active.text


async def test_status_all_is_not_a_launch_name(sender, engine):
    with Session(engine) as session:
        add_launch(session, "All")
    card = await sender.command("status all")
    assert card.json["blocks"][0]["text"]["text"] == "All"
    board = await sender.command("status --all")
    assert "Active launches (1)" in board.text and "*Launched (0)*" in board.text
    mixed = await sender.command("status checkout --all")
    assert "`--all` is for the board of every launch" in mixed.text


async def test_status_all_counts_what_it_does_not_list(sender, engine):
    with Session(engine) as session:
        for n in range(20):
            add_launch(session, f"Shipped {n:02}", stage="launched")
    board = await sender.command("status --all")
    assert "*Launched (20)*" in board.text and "…and 5 earlier launches" in board.text
    assert len(board.json["blocks"]) <= 50
