"""The App Home tab: what concerns the person opening it, with buttons to update their launches."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from markupsafe import Markup
from slack_bolt.async_app import AsyncApp

from bot import launches
from bot.db import session_scope
from bot.errors import HeraldError, InvalidInput
from bot.home import home
from bot.ids import ActionId, BlockId, ViewId
from bot.models import Launch, Risk, Stage
from handlers.launch_updates import follow_up

if TYPE_CHECKING:
    from bot.app import Herald


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(ActionId.UPDATE_LAUNCH)(open_update_form)
    app.view(ViewId.UPDATE_LAUNCH)(submit_update_form)


async def home_opened(event: dict, context: dict) -> None:
    if event.get("tab", "home") != "home":
        return  # the Messages tab needs nothing from Herald
    herald: Herald = context["herald"]
    herald.background.spawn(publish_home(herald, event["user"]))


async def publish_home(herald: Herald, user_id: str) -> None:
    with session_scope(herald.engine) as session:
        data = home(session, user_id=user_id, now=herald.clock())
    view = herald.renderer.view("home.json.j2", data=data, today=herald.today())
    await herald.slack.views_publish(user_id=user_id, view=view)


async def open_update_form(ack, action: dict, body: dict, context: dict) -> None:
    await ack()
    herald: Herald = context["herald"]
    with session_scope(herald.engine) as session:
        launch = session.get_one(Launch, int(action["value"]))
    reason = Markup(json.dumps(launch.risk_reason or "")[1:-1])  # shown in an input as typed, not escaped
    view = herald.renderer.view("launch_update_form.json.j2", launch=launch, stages=list(Stage), risks=list(Risk),
                                reason=reason)
    await herald.slack.views_open(trigger_id=body["trigger_id"], view=view)


async def submit_update_form(ack, body: dict, view: dict, context: dict) -> None:
    herald: Herald = context["herald"]
    values = view["state"]["values"]
    stage = values[BlockId.STAGE][ActionId.INPUT]["selected_option"]["value"]
    risk = values[BlockId.RISK][ActionId.INPUT]["selected_option"]["value"]
    reason = (values.get(BlockId.REASON, {}).get(ActionId.INPUT, {}).get("value") or "").strip()
    user_id = body["user"]["id"]
    try:
        with session_scope(herald.engine) as session:  # both changes, or neither
            key = session.get_one(Launch, int(view["private_metadata"])).key
            afters = [follow_up(herald, session, launches.change_field(
                session, reference=key, field_name=field_name, value=value, actor_id=user_id,
                admins=herald.settings.admins, today=herald.today(), now=herald.clock()))
                for field_name, value in (("stage", stage), ("risk", f"{risk} {reason}".strip()))]
    except InvalidInput as error:
        await ack(response_action="errors", errors={BlockId.REASON: str(error)})
        return
    except HeraldError as error:
        await ack(response_action="errors", errors={BlockId.STAGE: str(error)})
        return
    await ack()
    for after in filter(None, afters):
        herald.background.spawn(after())
    herald.background.spawn(publish_home(herald, user_id))
