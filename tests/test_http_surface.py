"""What Slack and operators see of Herald's HTTP app: signatures, health, URL verification, failures."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlmodel import Session, select

from bot.core.render import Renderer
from bot.launches.models import Launch
from tests.support.slack_requests import fixture_json


async def test_wrong_signature_is_refused_and_stores_nothing(http_sender, engine):
    body = urlencode(fixture_json("slack/slash_command.json") | {"command": "/launch", "text": "new Sneaky"})
    answer = await http_sender.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert answer.status == 401
    with Session(engine) as session:
        assert session.exec(select(Launch)).all() == []


async def test_request_older_than_five_minutes_is_refused(http_sender, engine):
    body = urlencode(fixture_json("slack/slash_command.json") | {"command": "/launch", "text": "new Replayed"})
    answer = await http_sender.post(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)
    assert answer.status == 401
    with Session(engine) as session:
        assert session.exec(select(Launch)).all() == []


async def test_url_verification_echoes_the_challenge(http_sender):
    payload = fixture_json("slack/url_verification.json")
    answer = await http_sender.post(json.dumps(payload), "application/json")
    assert answer.status == 200
    assert answer.json == {"challenge": payload["challenge"]}


async def test_health_check_reports_the_store(http_sender):
    async with http_sender.session.get(http_sender.base_url + "/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True, "store": "reachable"}


async def test_operator_templates_replace_single_messages(sender, herald, tmp_path):
    (tmp_path / "launches").mkdir()
    (tmp_path / "launches/help.json.j2").write_text('{"text": "Ask #prod-ops", "blocks": []}')
    herald.renderer = Renderer(tmp_path, zone=herald.settings.zone)
    assert (await sender.command("help")).json["text"] == "Ask #prod-ops"
    assert "No active launches" in (await sender.command("status")).text  # the built-in one still serves


async def test_operator_templates_under_their_old_flat_names_still_serve_with_a_warning(sender, herald, tmp_path,
                                                                                    caplog):
    (tmp_path / "launch_help.json.j2").write_text('{"text": "Ask #prod-ops", "blocks": []}')
    (tmp_path / "launch_card.json.j2").write_text(
        '{% import "_launch_macros.j2" as m %}{"text": "{{ detail.launch.name }}: {{ m.stage(detail.launch.stage) }}",'
        ' "blocks": []}')
    herald.renderer = Renderer(tmp_path, zone=herald.settings.zone)
    await sender.command("new Checkout v2")

    assert (await sender.command("help")).json["text"] == "Ask #prod-ops"
    assert (await sender.command("status checkout v2")).json["text"] == "Checkout v2: Planning"
    warnings = [r.getMessage() for r in caplog.records if "HERALD_TEMPLATES_DIR" in r.getMessage()]
    assert any("launch_help.json.j2 is the old name of launches/help.json.j2" in w for w in warnings)


async def test_a_broken_operator_template_gets_a_reference_not_silence(sender, herald, tmp_path, caplog):
    (tmp_path / "launches").mkdir()
    (tmp_path / "launches/help.json.j2").write_text('{"text": "oops", "blocks": [{"type": "sectionn"}]}')
    herald.renderer = Renderer(tmp_path, zone=herald.settings.zone)
    answer = await sender.command("help")
    assert answer.status == 200
    assert "something went wrong on my side" in answer.json["text"]
    reference = answer.json["text"].rstrip(".").rsplit(" ", 1)[-1]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)
