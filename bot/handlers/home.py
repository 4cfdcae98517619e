"""The App Home tab: what concerns the person opening it, with buttons to update their launches."""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncApp

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.core.errors import HeraldError, InvalidInput
from bot.core.herald import Herald
from bot.home import service as home
from bot.launches import service as launches
from bot.launches.models import Risk, Stage
from bot.launches.thread import post_launch_update


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(ActionId.UPDATE_LAUNCH)(open_update_form)
    app.view(ViewId.UPDATE_LAUNCH)(submit_update_form)


async def home_opened(event: dict, herald: Herald) -> None:
    if event.get("tab", "home") != "home":
        return  # the Messages tab needs nothing from Herald
    herald.background.spawn(publish_home(herald, event["user"]))


async def publish_home(herald: Herald, user_id: str) -> None:
    view = herald.renderer.view("home/home.json.j2", data=home.home(herald, user_id=user_id), today=herald.today())
    await herald.slack.views_publish(user_id=user_id, view=view)


async def open_update_form(ack, action: dict, body: dict, herald: Herald) -> None:
    await ack()
    try:
        launch = launches.for_update_form(herald, _launch_id(action["value"]), actor_id=body["user"]["id"])
    except HeraldError as error:  # a forwarded or stale button: say why instead of offering a form
        view = herald.renderer.view("common/notice_view.json.j2", title="Update a launch", text=str(error))
    else:
        view = herald.renderer.view("launches/update_form.json.j2", launch=launch, stages=list(Stage),
                                    risks=list(Risk))
    await herald.slack.views_open(trigger_id=body["trigger_id"], view=view)


async def submit_update_form(ack, body: dict, view: dict, herald: Herald) -> None:
    values = view["state"]["values"]
    user_id = body["user"]["id"]
    try:
        # Off the loop: a launch going live is a release, fanned out to every subscribed channel.
        change = await asyncio.to_thread(
            launches.update_from_form, herald, launch_id=_launch_id(view["private_metadata"]), actor_id=user_id,
            stage=values[BlockId.STAGE][ActionId.INPUT]["selected_option"]["value"],
            risk=values[BlockId.RISK][ActionId.INPUT]["selected_option"]["value"],
            reason=(values.get(BlockId.REASON, {}).get(ActionId.INPUT, {}).get("value") or "").strip())
    except InvalidInput as error:
        await ack(response_action="errors", errors={BlockId.REASON: str(error)})
        return
    except HeraldError as error:
        await ack(response_action="errors", errors={BlockId.STAGE: str(error)})
        return
    await ack()
    if change.changes and change.launch.channel_id:
        herald.background.spawn(post_launch_update(herald, change))
    herald.background.spawn(publish_home(herald, user_id))


def _launch_id(value: str) -> int:
    """A button's launch id; one that is not (a forged or mangled payload) is answered like a missing launch."""
    if not value.isdigit():
        raise InvalidInput("That button no longer names a launch. Open the App Home again.")
    return int(value)
