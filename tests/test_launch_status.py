"""`/launch status`: the board and one launch's card, answered in the ack itself."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.block_ids import ActionId
from bot.launches.models import LaunchChange
from tests.support.factories import add_launch


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


async def test_status_of_many_launches_stays_within_slack_limits_and_counts_the_rest(sender, engine):
    with Session(engine) as session:
        for n in range(80):
            add_launch(session, f"Launch {n:02}", target=f"2027-01-{1 + n % 28:02}")
    answer = await sender.command("status")
    assert len(answer.json["blocks"]) <= 50
    assert "Active launches (80)" in answer.text
    assert "50 more launches not listed" in answer.text


async def test_status_of_one_launch_shows_stage_target_slips_owner_risk_and_readiness(sender, engine):
    with Session(engine) as session:
        launch = add_launch(
            session, "Checkout v2", stage="beta", target="2026-12-07", risk="at_risk",
            risk_reason="provider certification late", done=3, channel="C0LAUNCHES",
        )
        session.add_all([
            LaunchChange(launch_id=launch.id, actor_id="U0BOB", field="target", old_value="2026-11-28", new_value="2026-12-05"),
            LaunchChange(launch_id=launch.id, actor_id="U0BOB", field="target", old_value="2026-12-05", new_value="2026-12-07"),
        ])
        session.commit()
    answer = await sender.command("status checkout v2")
    text = answer.text
    assert answer.json["response_type"] == "ephemeral"
    assert "Beta" in text
    assert "Mon 07 Dec 2026 (12 days left)" in text
    assert "slipped 2×, +9 days" in text
    assert "<@U0ANN>" in text
    assert "provider certification late" in text
    assert "60% (3/5)" in text
    assert "2026-12-05 → 2026-12-07" in text


async def test_status_of_unknown_launch_suggests_close_names_as_buttons(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2")
        add_launch(session, "Billing portal")
    answer = await sender.command("status chekout")
    assert "I can't find a launch called “chekout”" in answer.text
    buttons = [block for block in answer.json["blocks"] if block["type"] == "actions"][0]["elements"]
    assert [button["value"] for button in buttons] == ["Checkout v2"]

    await sender.action({"type": "button", "action_id": f"{ActionId.SHOW_LAUNCH}-1", "value": "Checkout v2"})
    [replaced] = sender.slack.response_url_posts_to("action")
    assert replaced["replace_original"] is True
    assert replaced["blocks"][0]["text"]["text"] == "Checkout v2"


async def test_status_of_a_name_several_launches_share_asks_which(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2")
        add_launch(session, "Checkout redesign")
    answer = await sender.command("status checkout")
    assert "Several launches match “checkout”" in answer.text
    buttons = [block for block in answer.json["blocks"] if block["type"] == "actions"][0]["elements"]
    assert {button["value"] for button in buttons} == {"Checkout v2", "Checkout redesign"}


async def test_a_unique_partial_name_finds_the_launch(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Android offline mode")
    answer = await sender.command("status offline")
    assert answer.json["blocks"][0]["text"]["text"] == "Android offline mode"


async def test_share_posts_the_answer_in_the_channel(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2")
    answer = await sender.command("status checkout v2 --share")
    assert answer.json["response_type"] == "in_channel"


async def test_user_text_is_shown_never_acted_on(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Ping <!channel> & <https://evil.example|bank>", risk="blocked", risk_reason="<@U0BOB> said so")
    answer = await sender.command("status ping")
    text = answer.text
    assert "<!channel>" not in text and "<https://evil" not in text and "<@U0BOB>" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|bank&gt;" in text
    assert "&lt;@U0BOB&gt; said so" in text
