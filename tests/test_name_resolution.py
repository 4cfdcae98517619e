"""Names are resolved, never guessed into state: subscriptions, `/launch release`, digest filters and the CLI's
component all go through one resolver, and a name like a known one is asked about before anything is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.core.block_ids import ActionId
from bot.digests.models import Digest
from bot.digests.runner import DigestRunner
from bot.handlers.support.name_choices import NameChoice
from bot.releases.models import Release, Subscription
from bot.releases.names import UnclearName, resolve_component
from tests.support.factories import add_component, add_launch, add_team
from tests.support.slack_requests import fixture_json

PRESSED = fixture_json("slack/block_actions.json")  # what every button press carries besides the button
CHANNEL = PRESSED["channel"]["id"]  # commands run where the fixture's buttons are pressed


@pytest.fixture
def known(engine):
    """A directory component with an alias, a launch, a release recorded by CI with a tag, and a team."""
    with Session(engine) as session:
        search = add_team(session, "Search", members=["U0BOB"])
        add_component(session, "Billing", aliases=["invoices"], team=search)
        add_launch(session, "Checkout")
        session.add(Release(component="payouts", component_name="Payouts", version="1.0", source="cli",
                            tags=["mobile"], fanned_out=True))
        session.commit()


def stored(engine, model) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


def buttons(answer: dict) -> dict[str, dict]:
    """The answer's buttons by their label."""
    return {element["text"]["text"]: element for block in answer["blocks"] if block["type"] == "actions"
            for element in block["elements"]}


async def press(sender, button: dict, *, user: str = "U0ANN") -> dict:
    """Press a button as Slack sends it; what Herald then says in place of the message holding it."""
    await sender.action({"type": "button", "action_id": button["action_id"], "value": button["value"],
                         "text": button["text"]}, user=user)
    await sender.settle()
    return sender.slack.response_url_posts_to("action")[-1]


async def test_subscribe_releases_with_no_target_is_refused_with_usage(sender, engine):
    answer = await sender.command("subscribe releases", channel=CHANNEL)
    assert "Say which releases: `/launch subscribe releases &lt;component|tag:…|all&gt;" in answer.text
    assert stored(engine, Subscription) == []
    assert "all releases" in (await sender.command("subscribe releases all", channel=CHANNEL)).text


async def test_release_singular_is_the_keyword_not_part_of_the_name(sender, engine, known):
    answer = await sender.command("subscribe release billing", channel=CHANNEL)
    assert "This channel now gets billing releases." in answer.text
    assert [s.target for s in stored(engine, Subscription)] == ["billing"]


async def test_a_misspelt_releases_keyword_is_asked_about_and_nothing_stored(sender, engine, known):
    answer = await sender.command("subscribe relases billing", channel=CHANNEL)
    assert "Did you mean `releases`?" in answer.text
    assert stored(engine, Subscription) == []


async def test_an_alias_subscribes_to_the_component_it_names(sender, engine, known):
    answer = await sender.command("subscribe releases Invoices", channel=CHANNEL)
    assert "This channel now gets billing releases." in answer.text and "known yet" not in answer.text
    assert [s.target for s in stored(engine, Subscription)] == ["billing"]


async def test_a_typo_of_a_component_is_asked_about_and_the_pressed_name_is_stored(sender, engine, known):
    asked = await sender.command("subscribe releases biling --prereleases", channel=CHANNEL)
    assert "I don't know a component “biling”. Did you mean Billing?" in asked.text
    assert list(buttons(asked.json)) == ["Billing", "Use “biling”"]
    assert stored(engine, Subscription) == []  # nothing until a button is pressed
    answer = await press(sender, buttons(asked.json)["Billing"])
    assert answer["replace_original"] is True
    assert "This channel now gets billing releases, pre-releases included." in answer["text"]
    assert [(s.channel_id, s.target, s.prereleases) for s in stored(engine, Subscription)] == [
        (CHANNEL, "billing", True)]


async def test_keeping_the_typed_name_stores_exactly_it_with_a_note(sender, engine, known):
    asked = await sender.command("subscribe releases biling", channel=CHANNEL)
    answer = await press(sender, buttons(asked.json)["Use “biling”"])
    assert ("This channel now gets biling releases. Nothing called “biling” is known yet; this channel will get "
            "its releases once one is recorded.") in answer["text"]
    assert [s.target for s in stored(engine, Subscription)] == ["biling"]


async def test_a_name_that_holds_a_known_one_is_asked_about(sender, engine, known):
    asked = await sender.command("subscribe releases checkout-service", channel=CHANNEL)
    assert list(buttons(asked.json)) == ["Checkout", "Use “checkout-service”"]
    assert stored(engine, Subscription) == []


async def test_a_name_like_nothing_known_is_accepted_with_a_note(sender, engine, known):
    answer = await sender.command("subscribe releases ledger", channel=CHANNEL)
    assert "This channel now gets ledger releases. Nothing called “ledger” is known yet" in answer.text
    assert [s.target for s in stored(engine, Subscription)] == ["ledger"]


async def test_a_typo_of_a_known_tag_is_asked_about(sender, engine, known):
    asked = await sender.command("subscribe releases tag:mobil", channel=CHANNEL)
    assert "I don't know a tag “mobil”. Did you mean mobile?" in asked.text
    answer = await press(sender, buttons(asked.json)["mobile"])
    assert "This channel now gets releases tagged mobile." in answer["text"]
    assert [s.target for s in stored(engine, Subscription)] == ["tag:mobile"]


async def test_unsubscribing_from_something_not_subscribed_suggests_what_is(sender, engine, known):
    await sender.command("subscribe releases billing", channel=CHANNEL)
    answer = await sender.command("unsubscribe releases biling", channel=CHANNEL)
    assert "This channel is not subscribed to biling releases. Did you mean billing releases?" in answer.text
    assert [(s.target, s.active) for s in stored(engine, Subscription)] == [("billing", True)]


async def test_a_release_of_a_misspelt_launch_opens_no_form_until_a_name_is_picked(sender, engine, slack, known):
    asked = await sender.command("release chekout 2.0", channel=CHANNEL)
    assert "I don't know a component “chekout”. Did you mean Checkout?" in asked.text
    await sender.settle()
    assert slack.calls_to("views.open") == []
    await press(sender, buttons(asked.json)["Checkout"])
    [opened] = slack.calls_to("views.open")
    assert opened.args["trigger_id"] == PRESSED["trigger_id"]  # the press's own trigger, as Slack requires
    form = json.loads(opened.args["view"]["private_metadata"])
    assert (form["component"], form["version"], form["channel_id"]) == ("Checkout", "2.0", CHANNEL)
    assert stored(engine, Release)[0].component == "payouts"  # nothing recorded before the form is submitted


async def test_a_release_under_the_name_as_typed_opens_the_form_with_a_note(sender, slack, known):
    asked = await sender.command("release chekout 2.0", channel=CHANNEL)
    answer = await press(sender, buttons(asked.json)["Use “chekout”"])
    assert "Nothing called “chekout” is known yet: this will be its first release." in answer["text"]
    [opened] = slack.calls_to("views.open")
    assert json.loads(opened.args["view"]["private_metadata"])["component"] == "chekout"


async def test_a_release_named_by_an_alias_is_recorded_under_its_component(sender, slack, known):
    assert (await sender.command("release invoices 2.0", channel=CHANNEL)).body == {}
    await sender.settle()
    [opened] = slack.calls_to("views.open")
    assert json.loads(opened.args["view"]["private_metadata"])["component"] == "Billing"


async def test_a_forged_button_is_answered_and_stores_nothing(sender, engine, known):
    answer = await press(sender, {"action_id": f"{ActionId.CHOOSE_NAME}-1", "text": {"type": "plain_text", "text": "x"},
                                  "value": '{"command": "drop tables", "words": []}'})
    assert "This button is out of date: run the command again." in answer["text"]
    assert stored(engine, Subscription) == []


async def test_a_digest_for_an_unknown_team_is_refused_with_suggestions(sender, engine, known):
    close = await sender.command("digest daily 09:00 UTC team:serch", channel=CHANNEL)
    assert "I don't know a team “serch”. Did you mean Search?" in close.text
    unknown = await sender.command("digest daily 09:00 UTC team:nosuch", channel=CHANNEL)
    assert "I don't know a team “nosuch”. Known teams: Search." in unknown.text
    assert stored(engine, Digest) == []


async def test_a_digest_stage_typo_is_suggested(sender, engine):
    answer = await sender.command("digest daily 09:00 UTC stage:bta", channel=CHANNEL)
    assert "“bta” is not a stage. Did you mean beta?" in answer.text
    assert stored(engine, Digest) == []


async def test_a_digest_component_filter_matches_the_component_by_its_alias(sender, herald, slack, engine, known):
    with Session(engine) as session:
        session.add(Release(component="billing", component_name="Billing", version="3.0", source="cli",
                            announce_at=datetime(2026, 11, 24, 15, tzinfo=UTC), fanned_out=True))
        session.commit()
    slack.add_channel(CHANNEL, "tests")
    answer = await sender.command("digest daily 09:00 UTC component:invoices always", channel=CHANNEL)
    assert "(component: billing)" in answer.text
    [digest] = stored(engine, Digest)
    assert digest.filters == {"component": "billing"}
    await DigestRunner(herald).run(digest.id, now=datetime(2026, 11, 25, 9, tzinfo=UTC))
    assert ":rocket: Billing 3.0" in str(slack.messages[CHANNEL][0]["blocks"])


async def test_a_digest_component_typo_is_asked_about_and_stored_as_pressed(sender, engine, known):
    asked = await sender.command("digest daily 09:00 UTC component:chekout", channel=CHANNEL)
    assert list(buttons(asked.json)) == ["Checkout", "Use “chekout”"]
    assert stored(engine, Digest) == []
    answer = await press(sender, buttons(asked.json)["Use “chekout”"])
    assert "Nothing is known yet by component:chekout" in answer["text"]
    assert [d.filters for d in stored(engine, Digest)] == [{"component": "chekout"}]


def test_the_cli_s_component_is_refused_when_close_to_a_known_one_unless_kept(engine):
    with Session(engine) as session:
        add_component(session, "billing-api")
        with pytest.raises(UnclearName) as unclear:
            resolve_component(session, "biling")
        assert str(unclear.value) == "I don't know a component “biling”. Did you mean billing-api?"
        kept = resolve_component(session, "biling", as_typed=True)
        assert (kept.key, kept.known) == ("biling", False)
        assert resolve_component(session, "Billing API").key == "billing-api"


@pytest.mark.parametrize("rest", [" ".join(["always"] * 45), "tag:" + "a" * 1990])
async def test_a_question_too_long_for_its_buttons_is_refused_in_words(sender, engine, known, rest):
    answer = await sender.command(f"digest daily 09:00 UTC component:biling {rest}", channel=CHANNEL)
    assert "Did you mean Billing? That is too long to ask about with buttons" in answer.text
    assert stored(engine, Digest) == []


async def test_a_forged_button_whose_command_asks_again_too_long_is_answered_in_words(sender, engine, known):
    words = ["daily", "09:00", "UTC", "component:biling", "tag:" + "a" * 1908]
    value = NameChoice(command="digest", words=words).model_dump_json()  # fits; the question about biling does not
    answer = await press(sender, {"action_id": f"{ActionId.CHOOSE_NAME}-1", "value": value, "text": "Billing"})
    assert "That is too long to ask about with buttons" in answer["text"]
    too_long = json.dumps({"command": "digest", "words": ["tag:" + "a" * 2000]})
    answer = await press(sender, {"action_id": f"{ActionId.CHOOSE_NAME}-1", "value": too_long, "text": "Billing"})
    assert answer["text"] == "This button is out of date: run the command again."
    assert stored(engine, Digest) == []


@pytest.mark.parametrize("command", ["subscribe releases all --prerelease", "unsubscribe releases all --prerelease"])
async def test_an_unknown_option_is_refused_with_the_one_meant_and_nothing_stored(sender, engine, command):
    answer = await sender.command(command, channel=CHANNEL)
    assert "I don't know the option `--prerelease`. Did you mean `--prereleases`?" in answer.text
    assert stored(engine, Subscription) == []


async def test_a_name_like_all_offers_all_among_the_names_meant(sender, engine, known):
    asked = await sender.command("subscribe releases al --prereleases", channel=CHANNEL)
    assert "all" in buttons(asked.json) and "Use “al”" in buttons(asked.json)
    assert stored(engine, Subscription) == []
    answer = await press(sender, buttons(asked.json)["all"])
    assert "This channel now gets all releases, pre-releases included." in answer["text"]
    assert [(s.target, s.prereleases) for s in stored(engine, Subscription)] == [("all", True)]
