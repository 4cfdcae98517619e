"""Rendering stays inside Slack's limits visibly, and templates that Slack would reject fail loudly."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.core.render import Renderer, TemplateError, fit
from bot.launches.models import ChecklistItem, Launch
from bot.launches.read import LaunchDetail, Slip


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(zone=ZoneInfo("UTC"))


def test_long_checklists_are_truncated_visibly_at_a_word(renderer):
    launch = Launch(id=1, key="big", name="Big", created_by="U1")
    items = [ChecklistItem(launch_id=1, position=i, label="word " * 29 + f"item{i}") for i in range(40)]
    message = renderer.message("launches/card.json.j2", detail=LaunchDetail(launch, items, [], Slip(0, 0)),
                               today=date(2026, 11, 25))
    checklist = message["blocks"][2]["text"]["text"]
    assert len(checklist) <= 3000
    assert checklist.endswith("… (truncated)")


def test_more_than_fifty_blocks_are_counted_not_dropped_silently():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"row {i}"}} for i in range(60)]
    message = fit({"text": "rows", "blocks": blocks}, template="rows", max_blocks=50)
    assert len(message["blocks"]) == 50
    assert message["blocks"][-1]["elements"][0]["text"] == "…and 11 more not shown."


def test_truncation_never_cuts_inside_a_mention_or_an_escape():
    text = "x" * 2985 + " <@U0123456789> &amp; more"
    message = fit({"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
                  template="t", max_blocks=50)
    out = message["blocks"][0]["text"]["text"]
    assert "<@U" not in out and "&am" not in out and out.endswith("… (truncated)")


def test_a_message_slack_would_reject_is_a_template_error():
    with pytest.raises(TemplateError, match="invalid actions block"):
        button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}}
        fit({"text": "t", "blocks": [{"type": "actions", "elements": [button]}]}, template="t", max_blocks=50)
    with pytest.raises(TemplateError, match="fallback"):
        fit({"blocks": []}, template="t", max_blocks=50)


def test_help_shows_placeholders_as_text_not_as_slack_links(renderer):
    import json
    import re

    text = json.dumps(renderer.message("launches/help.json.j2"))
    assert re.findall(r"<(?![@#]|https?://)[^>]*>", text) == []
    assert "&lt;launch or component&gt; &lt;version&gt;" in text
