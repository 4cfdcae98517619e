"""The App Home tab: what concerns the person opening it, and updating a launch from there."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.launches.models import Launch
from tests.support.factories import add_component, add_launch


async def open_home(sender, user: str, event_id: str) -> dict:
    await sender.event("slack/event_callback.app_home_opened.json", {"user": user, "tab": "home"}, event_id=event_id)
    await sender.settle()
    [published] = [c for c in sender.slack.calls_to("views.publish") if c.args["user_id"] == user][-1:]
    return published.args["view"]


async def test_home_shows_my_launches_what_is_at_risk_and_what_i_own(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", owner="U0ANN", target="2026-12-01")
        add_launch(session, "Search revamp", owner="U0BOB", risk="blocked", risk_reason="index rebuild")
        add_component(session, "Billing API", primary="U0ANN")
    view = await open_home(sender, "U0ANN", "Ev0HOME1")
    text = str(view["blocks"])
    assert view["type"] == "home"
    assert "*Checkout v2* · Building" in text and "Search revamp*: index rebuild" in text
    assert "Billing API (component)" in text
    button = next(b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == ActionId.UPDATE_LAUNCH)
    assert button["text"]["text"] == "Update"


async def test_home_for_someone_without_launches_says_how_to_start(sender):
    view = await open_home(sender, "U0NEW", "Ev0HOME2")
    text = str(view["blocks"])
    assert "You own no active launch" in text and "Nothing is at risk" in text


async def test_updating_a_launch_from_home_changes_stage_and_risk(sender, engine, slack):
    with Session(engine) as session:
        launch = add_launch(session, "Checkout v2", owner="U0ANN")
    await sender.action({"type": "button", "action_id": ActionId.UPDATE_LAUNCH, "value": str(launch.id)})
    await sender.settle()
    [opened] = slack.calls_to("views.open")
    form = opened.args["view"]
    assert form["callback_id"] == ViewId.UPDATE_LAUNCH

    def submit(stage: str, risk: str, reason: str | None):
        values = {BlockId.STAGE: {ActionId.INPUT: {"selected_option": {"value": stage}}},
                  BlockId.RISK: {ActionId.INPUT: {"selected_option": {"value": risk}}},
                  BlockId.REASON: {ActionId.INPUT: {"value": reason}}}
        return sender.view_submission({"callback_id": form["callback_id"], "private_metadata": form["private_metadata"],
                                       "state": {"values": values}})

    refused = await submit("beta", "blocked", None)
    assert refused.json["errors"][BlockId.REASON].startswith("Say why it is blocked")
    with Session(engine) as session:
        assert session.exec(select(Launch.stage)).one() == "building"  # neither change was kept
    assert (await submit("beta", "blocked", "legal review")).status == 200
    with Session(engine) as session:
        assert session.exec(select(Launch.stage, Launch.risk, Launch.risk_reason)).one() == ("beta", "blocked", "legal review")


class TestWithAdmins:
    @pytest.fixture
    def settings_env(self, settings_env):
        return settings_env | {"HERALD_ADMINS": "U0ADMIN"}

    async def test_a_forwarded_update_button_says_why_instead_of_offering_a_form(self, sender, engine, slack):
        with Session(engine) as session:
            launch = add_launch(session, "Perm Probe", owner="U0ANN")
        await sender.action({"type": "button", "action_id": ActionId.UPDATE_LAUNCH, "value": str(launch.id)},
                            user="U0EVE")
        await sender.settle()
        [opened] = slack.calls_to("views.open")
        view = opened.args["view"]
        assert "callback_id" not in view or view["callback_id"] != ViewId.UPDATE_LAUNCH
        assert "Only the launch's owner, its creator or a Herald admin can change “Perm Probe”." in str(view["blocks"])
