"""`/launch status`: the board and one launch's card, answered in the ack."""

from __future__ import annotations

from sqlmodel import Session

from factories import add_launch


async def test_status_without_launches_explains_how_to_start(sender):
    answer = await sender.command("status")
    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "No active launches" in answer.text


async def test_status_lists_blocked_and_at_risk_first(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Calm one", target="2026-12-01")
        add_launch(session, "Stuck one", risk="blocked", risk_reason="vendor contract", target="2027-02-01")
        add_launch(session, "Wobbly one", risk="at_risk", risk_reason="QA behind")
        add_launch(session, "Shipped one", stage="launched")
    answer = await sender.command("status")
    text = answer.text
    assert "Active launches (3)" in text
    assert text.index("Stuck one") < text.index("Wobbly one") < text.index("Calm one")
    assert "Shipped one" not in text
    assert "vendor contract" in text
