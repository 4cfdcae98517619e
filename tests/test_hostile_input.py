"""No input gets a 5xx: malformed webhooks are 400s naming the field (401 for bad credentials of any shape),
control characters are refused or stripped alike on SQLite and PostgreSQL, and a fuzzer finds nothing more."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.launches.models import ChecklistItem, Launch
from bot.releases.models import Release
from tests.support.factories import add_launch
from tests.support.slack_requests import slash_command_body
from tests.test_release_surfaces import CI_TOKEN, GITHUB_SECRET, ci

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def settings_env(settings_env):
    return settings_env | {"GITHUB_WEBHOOK_SECRET": GITHUB_SECRET, "HERALD_WEBHOOK_TOKEN": CI_TOKEN}


def releases_in(engine) -> list[Release]:
    with Session(engine) as session:
        return list(session.exec(select(Release)).all())


async def raw_post(sender, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with sender.session.post(sender.base_url + path, data=body, headers=headers) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("header", ["X-Hub-Signature-256", "Authorization"])
async def test_credentials_of_any_shape_are_a_401(sender, engine, header):
    path = "/webhooks/github" if header.startswith("X-Hub") else "/webhooks/release"
    body = json.dumps({"component": "billing", "version": "1.0.0"}).encode()
    status, text = await raw_post(sender, path, body, {header: "sha256=ü€ bad".encode().decode("latin-1"),
                                                       "X-GitHub-Event": "release"})
    assert status == 401, text
    assert releases_in(engine) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"component": "billing", "version": "1", "title": 5}, "title: must be a string, not int"),
        ({"component": "billing", "version": "1", "title": ["a"]}, "title: must be a string, not list"),
        ({"component": ["billing"], "version": "1"}, "component: must be a string"),
        ({"component": "billing", "version": "1", "prerelease": "false"},
         'prerelease: must be true or false, not "false"'),
        ({"component": "billing", "version": "1\u0000"}, "version: contains control characters"),
        ({"component": "bill\u0000ing", "version": "1"}, "component: contains control characters"),
        ({"component": "billing", "version": "1", "notes": "ok\u0000"}, "notes: contains control characters"),
        ({"component": "billing", "version": "1", "id": "x" * 201}, "id: can be at most 150 characters"),
        ({"component": "billing", "version": "1", "id": True}, "id: must be a string or a whole number"),
        ({"component": "billing", "version": "1", "announce_at": "tomorrow"}, "announce_at: “tomorrow” is not an ISO"),
        ({"component": "billing", "version": "1", "action": 3}, "action: must be a string"),
        ({"component": "billing", "version": "1", "title": "\ud800"}, "title: contains a lone surrogate"),
    ],
)
async def test_a_malformed_ci_body_is_a_400_naming_the_field(sender, engine, body, message):
    status, answer = await ci(sender, body)
    assert (status, answer["ok"]) == (400, False) and message in answer["message"], answer
    assert releases_in(engine) == []


async def test_a_real_boolean_and_a_numeric_id_are_taken(sender, engine):
    status, _ = await ci(sender, {"component": "billing", "version": "1", "prerelease": False, "id": 881})
    assert status == 201
    [release] = releases_in(engine)
    assert (release.prerelease, release.external_id) == (False, "ci:881")


async def test_a_signed_github_body_of_the_wrong_shape_is_a_400_or_ignored(sender, engine):
    for payload in ({"release": "nope"}, {"release": {"tag_name": 5}, "repository": {"name": "billing"}},
                    [1, 2], {"release": {"tag_name": "v1", "id": {"x": 1}}, "repository": {"name": "x"}}):
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
        status, text = await raw_post(sender, "/webhooks/github", body, {
            "X-Hub-Signature-256": signature, "X-GitHub-Event": "release", "Content-Type": "application/json"})
        assert status in (202, 400), text
    assert releases_in(engine) == []


async def test_a_non_numeric_slack_timestamp_is_refused_not_a_5xx(http_sender):
    body = slash_command_body("status", response_url=http_sender.slack.response_url("t"))
    status, _ = await raw_post(http_sender, "/slack/events", body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "soon",
        "X-Slack-Signature": "v0=" + "0" * 64})
    assert status == 401


async def test_a_nul_byte_in_a_slash_command_is_never_stored(sender, engine):
    answer = await sender.command("new Null\u0000Launch target 2027-01-10")
    assert answer.status == 200
    with Session(engine) as session:
        names = session.exec(select(Launch.name)).all()
    assert all("\u0000" not in name for name in names)


def has_control_characters(text: str | None) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_OVERRIDES for c in text or "")


BIDI_OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_bell_escape_and_c1_controls_in_a_slash_command_are_stripped_from_a_launch_name(sender, engine):
    answer = await sender.command("new \u0007bell\u001b[31mred\u0085\u009bx")
    assert answer.status == 200
    with Session(engine) as session:
        [name] = session.exec(select(Launch.name)).all()
    assert name == "bell [31mred x"
    assert not has_control_characters(name)


@pytest.mark.parametrize("command", ["new \u202eLynx", "rename lynx to Ly\u202dnx", "rename lynx to \u2067xnyL\u2069",
                                     "add-item lynx Docs \u202eready", "set lynx risk blocked legal \u2066review"])
async def test_a_bidi_override_in_a_name_item_or_reason_is_refused_with_a_reason(sender, engine, command):
    with Session(engine) as session:
        add_launch(session, "Lynx")
    answer = await sender.command(command)
    assert "reverse how text is shown" in answer.text, answer.text
    with Session(engine) as session:
        stored = [*session.exec(select(Launch.name, Launch.risk_reason)).one(),
                  *session.exec(select(ChecklistItem.label)).all()]
    assert not any(has_control_characters(text) for text in stored), stored


async def test_control_characters_in_a_risk_reason_from_the_app_home_form_are_never_stored(sender, engine, slack):
    from bot.core.block_ids import ActionId, BlockId, ViewId

    with Session(engine) as session:
        launch = add_launch(session, "Lynx")
    values = {BlockId.STAGE: {ActionId.INPUT: {"selected_option": {"value": "beta"}}},
              BlockId.RISK: {ActionId.INPUT: {"selected_option": {"value": "blocked"}}},
              BlockId.REASON: {ActionId.INPUT: {"value": "legal\u001b[2J\u0007 review"}}}
    answer = await sender.view_submission({"callback_id": ViewId.UPDATE_LAUNCH, "private_metadata": str(launch.id),
                                           "state": {"values": values}})
    assert answer.status == 200
    with Session(engine) as session:
        assert session.exec(select(Launch.risk_reason)).one() == "legal [2J review"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
CI_BODIES = st.fixed_dictionaries(
    {"component": st.one_of(st.text(max_size=30), JSON_VALUES),
     "version": st.one_of(st.text(max_size=20), JSON_VALUES)},
    optional={field: JSON_VALUES for field in ("title", "notes", "link", "tags", "prerelease", "announce_at", "id",
                                               "action")},
)


@FUZZ
@given(body=CI_BODIES)
async def test_fuzzed_ci_bodies_get_a_clear_answer_below_500_and_nothing_half_stored(sender, engine, body):
    status, answer = await ci(sender, body)
    assert status < 500, (body, answer)
    assert isinstance(answer["message"], str) and answer["message"]
    if status >= 400:
        assert all(r.version != body.get("version") or r.component_name != body.get("component")
                   for r in releases_in(engine))


@FUZZ
@given(text=st.text(max_size=60))
async def test_fuzzed_slash_command_text_gets_a_clear_answer_below_500(sender, text):
    answer = await sender.command(text)
    assert answer.status < 500, (text, answer.body)
    assert answer.text and "something went wrong" not in answer.text.lower(), (text, answer.text)


async def test_deeply_nested_json_signed_by_github_is_ignored_not_a_5xx(sender, engine):
    body = b"[" * 5000 + b"]" * 5000
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    status, _ = await raw_post(sender, "/webhooks/github", body, {
        "X-Hub-Signature-256": signature, "X-GitHub-Event": "release", "Content-Type": "application/json"})
    assert status == 202


@pytest.mark.parametrize("text", ["subscribe releases tag:" + "x" * 1000, "new x target " + "İ" * 60,
                                  "new " + "ß" * 60])
async def test_text_that_grows_into_a_key_gets_a_clear_answer_on_every_store(sender, text):
    answer = await sender.command(text, channel="C0LAUNCHES")
    assert answer.status == 200 and "something went wrong" not in answer.text.lower(), answer.text


@pytest.mark.parametrize("value", ["abc", "", "1e3"])
async def test_a_mangled_update_button_is_answered_not_a_5xx(sender, slack, value):
    from bot.core.block_ids import ActionId

    answer = await sender.action({"type": "button", "action_id": ActionId.UPDATE_LAUNCH, "value": value})
    await sender.settle()
    assert answer.status == 200
    [opened] = slack.calls_to("views.open")
    assert "no longer names a launch" in str(opened.args["view"]["blocks"])


@pytest.mark.parametrize(("metadata", "stamp"), [("not json", 1893456000), ("{}", 1893456000),
                                                 ('{"component": "billing", "version": "1", "channel_id": "C0"}', "abc"),
                                                 ('{"component": "billing", "version": "1", "channel_id": "C0"}', 1e300)])
async def test_a_mangled_release_form_submission_is_answered_in_the_form_not_a_5xx(sender, engine, metadata, stamp):
    from bot.core.block_ids import ActionId, BlockId, ViewId

    values = {BlockId.WHEN: {ActionId.INPUT: {"selected_option": {"value": "later"}}},
              BlockId.AT: {ActionId.INPUT: {"selected_date_time": stamp}}}
    answer = await sender.view_submission({"callback_id": ViewId.RELEASE_FORM, "private_metadata": metadata,
                                           "state": {"values": values}})
    assert answer.status == 200 and answer.json["response_action"] == "errors", answer.body
    assert releases_in(engine) == []
