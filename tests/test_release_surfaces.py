"""Recording releases and subscribing channels: Slack commands and modal, GitHub and CI webhooks, launches going live."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.releases.models import Delivery, Release, Subscription
from tests.support.factories import add_component, add_launch
from tests.support.slack_requests import FIXTURES

GITHUB_SECRET = "github-secret"
CI_TOKEN = "ci-token"


@pytest.fixture
def settings_env(settings_env):
    return settings_env | {"GITHUB_WEBHOOK_SECRET": GITHUB_SECRET, "HERALD_WEBHOOK_TOKEN": CI_TOKEN}


def stored(engine, model) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


async def github(sender, name: str, *, secret: str = GITHUB_SECRET, event: str = "release", draft: bool = False):
    body = (FIXTURES / "github" / f"release.{name}.json").read_bytes()
    if draft:  # the fixtures hold no draft; GitHub sends the same shape with release.draft true
        payload = json.loads(body)
        payload["release"]["draft"] = True
        body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": event, "X-Hub-Signature-256": signature, "Content-Type": "application/json",
               "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    async with sender.session.post(sender.base_url + "/webhooks/github", data=body, headers=headers) as response:
        return response.status, await response.json()


async def ci(sender, body: dict, *, token: str = CI_TOKEN):
    headers = {"Authorization": f"Bearer {token}"}
    async with sender.session.post(sender.base_url + "/webhooks/release", json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_subscribe_list_and_unsubscribe_from_a_channel(sender, engine):
    answer = await sender.command("subscribe releases billing --prereleases", channel="C0LAUNCHES")
    assert "This channel now gets billing releases, pre-releases included." in answer.text
    await sender.command("subscribe releases tag:mobile", channel="C0LAUNCHES")
    listed = await sender.command("subscriptions", channel="C0LAUNCHES")
    assert "billing releases — pre-releases too" in listed.text and "releases tagged mobile" in listed.text
    await sender.command("unsubscribe releases billing", channel="C0LAUNCHES")
    assert sorted((s.target, s.active) for s in stored(engine, Subscription)) == [("billing", False), ("tag:mobile", True)]
    missing = await sender.command("unsubscribe releases nothing", channel="C0LAUNCHES")
    assert "This channel is not subscribed to nothing releases" in missing.text


async def test_github_release_published_is_recorded_once_however_often_it_is_delivered(sender, engine):
    status, first = await github(sender, "published")
    assert (status, first["message"]) == (201, "recorded")
    status, again = await github(sender, "published")
    assert (status, again["release_id"]) == (200, first["release_id"])
    [release] = stored(engine, Release)
    assert (release.component, release.component_name, release.version, release.source) == (
        "hello-world", "Hello-World", "0.0.1", "github")
    assert release.link == "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1"


async def test_github_edits_and_deletes_reach_the_recorded_release(sender, engine):
    await github(sender, "published")
    assert (await github(sender, "edited"))[0] == 200
    assert (await github(sender, "deleted"))[0] == 200
    [release] = stored(engine, Release)
    assert release.withdrawn is True


async def test_github_edits_of_releases_never_announced_and_drafts_record_nothing(sender, engine):
    assert (await github(sender, "edited"))[0] == 202
    assert (await github(sender, "published", draft=True))[0] == 202
    assert stored(engine, Release) == []


async def test_github_prereleases_are_marked(sender, engine):
    await github(sender, "prereleased")
    [release] = stored(engine, Release)
    assert release.prerelease is True


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
async def test_github_webhook_with_a_bad_signature_is_refused_and_stores_nothing(sender, engine, secret):
    status, body = await github(sender, "published", secret=secret)
    assert (status, body["message"]) == (401, "bad signature")
    assert stored(engine, Release) == []


async def test_github_events_other_than_releases_are_acknowledged_and_ignored(sender, engine):
    assert (await github(sender, "published", event="ping"))[0] == 200
    assert (await github(sender, "published", event="push"))[0] == 202
    assert stored(engine, Release) == []


async def test_ci_webhook_records_fans_out_and_is_idempotent_by_id(sender, engine):
    await sender.command("subscribe releases all", channel="C0LAUNCHES")
    body = {"id": "build-881", "component": "Billing", "version": "1.4.0", "notes": "- faster invoices",
            "tags": ["payments"], "link": "https://ci.example.com/881"}
    assert (await ci(sender, body))[0] == 201
    assert (await ci(sender, body))[0] == 200
    [release] = stored(engine, Release)
    assert [(d.release_id, d.channel_id, d.state) for d in stored(engine, Delivery)] == [
        (release.id, "C0LAUNCHES", "pending")]


@pytest.mark.parametrize(
    ("token", "body", "status", "message"),
    [
        ("wrong", {"component": "billing", "version": "1"}, 401, "missing or wrong bearer token"),
        (CI_TOKEN, {"component": "billing", "version": "one two"}, 400, "is not a version"),
        (CI_TOKEN, {"component": "billing", "version": "1", "link": "javascript:alert(1)"}, 400, "is not a link"),
        (CI_TOKEN, {"component": "billing", "version": "1", "colour": "red"}, 400, "unknown fields: colour"),
        (CI_TOKEN, {"component": "billing", "version": "1", "announce_at": "2026-12-01T09:00"}, 400, "needs a time zone"),
    ],
)
async def test_ci_webhook_rejects_bad_requests_and_stores_nothing(sender, engine, token, body, status, message):
    answer_status, answer = await ci(sender, body, token=token)
    assert answer_status == status and message in answer["message"]
    assert stored(engine, Release) == []


async def test_release_command_opens_a_form_and_its_submission_records_the_release(sender, engine, slack):
    answer = await sender.command("release billing 1.4.0", channel="C0LAUNCHES")
    # A first release of a name nothing known looks like: the form opens, and a note says the name is new
    assert answer.status == 200 and "Nothing called “billing” is known yet" in answer.text
    await sender.settle()
    [opened] = slack.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == ViewId.RELEASE_FORM
    values = {
        BlockId.TITLE: {ActionId.INPUT: {"type": "plain_text_input", "value": "Faster invoices"}},
        BlockId.NOTES: {ActionId.INPUT: {"type": "plain_text_input", "value": "## New\n- EUR <!channel>"}},
        BlockId.TAGS: {ActionId.INPUT: {"type": "plain_text_input", "value": "payments, EMEA"}},
        BlockId.WHEN: {ActionId.INPUT: {"type": "radio_buttons", "selected_option": {"value": "now"}}},
    }
    submitted = await sender.view_submission({"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                                              "state": {"values": values}})
    assert submitted.status == 200
    [release] = stored(engine, Release)
    assert (release.component, release.version, release.title, release.tags, release.created_by) == (
        "billing", "1.4.0", "Faster invoices", ["emea", "payments"], "U0ANN")
    await sender.settle()
    [confirmation] = slack.calls_to("chat.postEphemeral")
    assert "Recorded billing 1.4.0; announcing it now in 0 subscribed channels." == confirmation.args["text"]


async def test_release_form_preview_shows_the_announcement_escaped(sender, slack):
    await sender.command("release billing 1.4.0")
    await sender.settle()
    view = slack.calls_to("views.open")[0].args["view"] | {"id": "V0FORM", "hash": "h1", "state": {"values": {
        BlockId.NOTES: {ActionId.INPUT: {"type": "plain_text_input", "value": "Ping <!channel>"}}}}}
    await sender.action({"type": "button", "action_id": ActionId.PREVIEW_RELEASE}, view=view)
    [updated] = slack.calls_to("views.update")
    assert {"type": "markdown", "text": "Ping &lt;!channel&gt;"} in updated.args["view"]["blocks"]


async def test_the_preview_names_who_to_ask_as_the_announcement_will(sender, slack, engine):
    with Session(engine) as session:
        add_component(session, "Billing API", primary="U0BOB", aliases=["billing"])
    await sender.command("release billing 1.4.0")
    await sender.settle()
    view = slack.calls_to("views.open")[0].args["view"] | {"id": "V0FORM", "hash": "h1", "state": {"values": {}}}
    await sender.action({"type": "button", "action_id": ActionId.PREVIEW_RELEASE}, view=view)
    [updated] = slack.calls_to("views.update")
    assert "*Who to ask*\n<@U0BOB>" in json.dumps(updated.args["view"]["blocks"]).replace("\\n", "\n")


async def test_release_form_with_a_past_time_points_at_the_time_input(sender, engine, slack):
    await sender.command("release billing 1.4.0")
    await sender.settle()
    view = slack.calls_to("views.open")[0].args["view"]
    past = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
    values = {BlockId.WHEN: {ActionId.INPUT: {"type": "radio_buttons", "selected_option": {"value": "later"}}},
              BlockId.AT: {ActionId.INPUT: {"type": "datetimepicker", "selected_date_time": past}}}
    answer = await sender.view_submission({"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                                           "state": {"values": values}})
    assert answer.json == {"response_action": "errors",
                           "errors": {BlockId.AT: "Pick a time in the future, or choose “Announce now”."}}
    assert stored(engine, Release) == []


async def test_release_command_needs_a_version(sender, slack):
    answer = await sender.command("release billing")
    assert "Use `/launch release &lt;launch or component&gt; &lt;version&gt;`" in answer.text
    await sender.settle()
    assert slack.calls_to("views.open") == []


async def test_a_launch_set_live_announces_itself_once(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Checkout v2", stage="ready")
    await sender.command("subscribe releases checkout-v2", channel="C0LAUNCHES")
    await sender.command("set checkout v2 stage launched")
    await sender.command("set checkout v2 stage beta")
    await sender.command("set checkout v2 stage launched")
    [release] = stored(engine, Release)
    assert (release.component, release.title, release.source) == ("checkout-v2", "Checkout v2 is live", "launch")
    assert [d.channel_id for d in stored(engine, Delivery)] == ["C0LAUNCHES"]


def as_opened(view: dict) -> dict:
    """The form's state as Slack sends it when submitted untouched: every input holding its initial value."""
    values = {}
    for block in view["blocks"]:
        element = block.get("element", {})
        if block["type"] != "input":
            continue
        if "initial_value" in element:
            values[block["block_id"]] = {ActionId.INPUT: {"type": element["type"], "value": element["initial_value"]}}
        elif "initial_option" in element:
            values[block["block_id"]] = {ActionId.INPUT: {"type": element["type"],
                                                          "selected_option": element["initial_option"]}}
    return values


async def open_form(sender, slack, text: str) -> dict:
    await sender.command(text, channel="C0LAUNCHES")
    await sender.settle()
    return slack.calls_to("views.open")[-1].args["view"]


async def submit(sender, view: dict, values: dict):
    return await sender.view_submission({"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                                         "state": {"values": values}})


async def test_a_recorded_version_opens_its_form_filled_in_as_an_edit_and_submitting_it_unchanged_changes_nothing(
        sender, engine, slack):
    first = await open_form(sender, slack, "release billing 1.4.0")
    await submit(sender, first, {
        BlockId.TITLE: {ActionId.INPUT: {"type": "plain_text_input", "value": "Faster invoices"}},
        BlockId.NOTES: {ActionId.INPUT: {"type": "plain_text_input", "value": "- EUR & <GBP>"}},
        BlockId.TAGS: {ActionId.INPUT: {"type": "plain_text_input", "value": "payments"}},
        BlockId.LINK: {ActionId.INPUT: {"type": "url_text_input", "value": "https://example.com/1.4.0"}},
        BlockId.WHEN: {ActionId.INPUT: {"type": "radio_buttons", "selected_option": {"value": "now"}}},
    })
    edit = await open_form(sender, slack, "release billing 1.4.0")
    assert (edit["title"]["text"], edit["submit"]["text"]) == ("Edit billing 1.4.0", "Save changes")
    initial = {block["block_id"]: block["element"].get("initial_value") for block in edit["blocks"]
               if block["type"] == "input"}
    assert (initial[BlockId.TITLE], initial[BlockId.NOTES], initial[BlockId.LINK]) == (
        "Faster invoices", "- EUR & <GBP>", "https://example.com/1.4.0")
    assert "payments" in json.dumps(edit["blocks"])  # the tags and when it was announced are shown
    await sender.settle()
    slack.calls.clear()
    assert (await submit(sender, edit, as_opened(edit))).status == 200
    [release] = stored(engine, Release)
    assert (release.title, release.notes, release.link, release.tags, release.revision, release.edited_by) == (
        "Faster invoices", "- EUR & <GBP>", "https://example.com/1.4.0", ["payments"], 1, None)
    await sender.settle()
    [said] = slack.calls_to("chat.postEphemeral")
    assert said.args["text"] == "Nothing changed: billing 1.4.0 already says that."
    changed = as_opened(edit) | {BlockId.TITLE: {ActionId.INPUT: {"type": "plain_text_input", "value": "Quicker"}}}
    await submit(sender, edit, changed)
    [release] = stored(engine, Release)
    assert (release.title, release.notes, release.revision) == ("Quicker", "- EUR & <GBP>", 2)


async def test_a_withdrawn_version_is_said_to_be_withdrawn_instead_of_opening_a_form(sender, engine, slack):
    await ci(sender, {"id": "b1", "component": "billing", "version": "1.4.0"})
    await ci(sender, {"id": "b1", "component": "billing", "version": "1.4.0", "action": "withdraw"})
    answer = await sender.command("release billing 1.4.0", channel="C0LAUNCHES")
    assert "billing 1.4.0 was withdrawn" in answer.text
    await sender.settle()
    assert slack.calls_to("views.open") == []


@pytest.fixture
def billing_api(engine):
    """A directory component known by an alias, and a release recorded under its key."""
    with Session(engine) as session:
        add_component(session, "Billing API", aliases=["billing"])
        session.add(Release(component="billing-api", component_name="Billing API", version="1.0", source="cli",
                            fanned_out=True))
        session.commit()


async def test_release_history_finds_the_component_by_alias_and_asks_about_a_typo(sender, billing_api):
    listed = await sender.command("releases")
    assert "Billing API" in listed.text
    found = await sender.command("release history billing 1.0")
    assert "History of Billing API 1.0" in found.text
    typo = await sender.command("release history biling 1.0")
    assert "I don't know a component “biling”. Did you mean Billing API?" in typo.text
    missing = await sender.command("release history billing 9.9")
    assert "There is no release Billing API 9.9." in missing.text


@pytest.mark.parametrize("text", ["release history", "release history billing"])
async def test_release_history_without_a_component_and_version_shows_its_own_usage(sender, slack, billing_api, text):
    answer = await sender.command(text)
    assert "Use `/launch release history &lt;component&gt; &lt;version&gt;`" in answer.text
    await sender.settle()
    assert slack.calls_to("views.open") == []


async def test_editing_a_release_whose_notes_the_form_cannot_hold_keeps_them(sender, engine, slack):
    notes = "word " * 1000  # 5,000 characters, as a GitHub release body may be
    await ci(sender, {"component": "billing", "version": "1.4.0", "notes": notes})
    edit = await open_form(sender, slack, "release billing 1.4.0")
    assert BlockId.NOTES not in [block.get("block_id") for block in edit["blocks"]]
    assert "longer than this form holds" in json.dumps(edit["blocks"])
    await submit(sender, edit, as_opened(edit) | {
        BlockId.TITLE: {ActionId.INPUT: {"type": "plain_text_input", "value": "Faster"}}})
    [release] = stored(engine, Release)
    assert (release.title, release.notes) == ("Faster", notes)


async def test_editing_a_scheduled_release_shows_when_it_is_to_be_announced(sender, slack):
    await ci(sender, {"component": "billing", "version": "1.4.0", "announce_at": "2026-12-01T09:00:00+00:00"})
    edit = await open_form(sender, slack, "release billing 1.4.0")
    assert "to be announced Tue 01 Dec 2026" in json.dumps(edit["blocks"])
    await sender.action({"type": "button", "action_id": ActionId.PREVIEW_RELEASE},
                        view=edit | {"id": "V0FORM", "hash": "h1", "state": {"values": as_opened(edit)}})
    [updated] = slack.calls_to("views.update")
    assert updated.args["view"]["title"]["text"] == "Edit billing 1.4.0" and "to be announced" in json.dumps(
        updated.args["view"]["blocks"])
