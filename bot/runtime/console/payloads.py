"""What Slack would send Herald for what the person did in the console, in Slack's own shapes."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.runtime.console.screen import Button
from bot.runtime.console.workspace import (
    CONSOLE_APP,
    CONSOLE_CHANNEL,
    CONSOLE_TEAM,
    RESPONSE_URL,
    as_slack_typed,
    name_of,
)

FORM = {"content-type": ["application/x-www-form-urlencoded"]}
JSON = {"content-type": ["application/json"]}
TRIGGER_ID = "console.trigger"


def slash_command(command: str, text: str, *, user_id: str) -> AsyncBoltRequest:
    return AsyncBoltRequest(body=urlencode({
        "command": command, "text": as_slack_typed(text), "user_id": user_id, "user_name": name_of(user_id),
        "channel_id": CONSOLE_CHANNEL, "channel_name": "console", "team_id": CONSOLE_TEAM, "api_app_id": CONSOLE_APP,
        "response_url": RESPONSE_URL, "trigger_id": TRIGGER_ID,
    }), headers=FORM)


def button_press(button: Button, *, user_id: str, state: dict[str, Any] | None = None) -> AsyncBoltRequest:
    """A block_actions payload: the button, and the message or view (with what is typed so far) it was on."""
    element = button.element
    action = {"type": "button", "action_id": element.get("action_id", ""), "block_id": button.block_id,
              "text": element.get("text", {}), "action_ts": f"{time.time():.6f}"}
    if "value" in element:
        action["value"] = element["value"]
    surface = button.surface
    payload: dict[str, Any] = {
        "type": "block_actions", "user": _user(user_id), "api_app_id": CONSOLE_APP, "token": "",
        "team": {"id": CONSOLE_TEAM, "domain": "console"}, "trigger_id": TRIGGER_ID, "actions": [action],
    }
    if surface.view is not None:
        view = {**surface.view, "state": {"values": state or {}}}
        payload.update(container={"type": "view", "view_id": view.get("id", "")}, view=view)
    else:
        channel_id = surface.channel_id or CONSOLE_CHANNEL
        payload.update(
            container={"type": "message", "message_ts": surface.ts or "", "channel_id": channel_id,
                       "is_ephemeral": surface.ts is None},
            channel={"id": channel_id, "name": name_of(channel_id).lstrip("#")},
            message={**(surface.message or {}), "ts": surface.ts or ""}, response_url=RESPONSE_URL,
            state={"values": state or {}},
        )
    return _interaction(payload)


def view_submission(view: dict[str, Any], values: dict[str, Any], *, user_id: str) -> AsyncBoltRequest:
    submitted = {**view, "state": {"values": values}, "team_id": CONSOLE_TEAM, "app_id": CONSOLE_APP}
    return _interaction({"type": "view_submission", "user": _user(user_id), "api_app_id": CONSOLE_APP, "token": "",
                         "team": {"id": CONSOLE_TEAM, "domain": "console"}, "trigger_id": TRIGGER_ID,
                         "view": submitted, "response_urls": []})


def app_home_opened(*, user_id: str) -> AsyncBoltRequest:
    event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id.removeprefix("U"), "tab": "home",
             "event_ts": f"{time.time():.6f}"}
    return AsyncBoltRequest(body=json.dumps({
        "type": "event_callback", "team_id": CONSOLE_TEAM, "api_app_id": CONSOLE_APP, "event": event,
        "event_id": f"Ev0CONSOLE{time.time_ns()}", "event_time": int(time.time()),
    }), headers=JSON)


def _user(user_id: str) -> dict[str, str]:
    return {"id": user_id, "username": name_of(user_id), "name": name_of(user_id), "team_id": CONSOLE_TEAM}


def _interaction(payload: dict[str, Any]) -> AsyncBoltRequest:
    return AsyncBoltRequest(body=urlencode({"payload": json.dumps(payload)}), headers=FORM)
