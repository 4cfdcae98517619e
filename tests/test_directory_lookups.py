"""Ownership lookups over signed HTTP: the slash command, @mentions, DMs, buttons, changes and retries."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, select

from bot.core.block_ids import ActionId
from bot.directory.models import Component, OwnershipChange, Team
from tests.support.factories import add_component, add_launch, add_team, contact


@pytest.fixture
def directory(engine):
    with Session(engine) as session:
        payments = add_team(session, "Payments", members=["U0ANN"], channel="C0PAYMENTS")
        add_component(session, "Billing API", team=payments, primary="U0ANN", backup="U0BOB",
                      aliases=["billing", "invoices"], tags=["payments"])
        add_component(session, "Billing reports", team=payments, primary="U0ANN")
        add_component(session, "Search", primary=contact(session, "U0GONE", deactivated=True))
        add_component(session, "Docs site", primary=contact(session, None, ref="ghost@example.com"))
        add_component(session, "Orphan")
    return payments


async def test_whoowns_answers_with_team_contacts_and_channel(sender, directory):
    answer = await sender.command("billing api", command="/whoowns")
    assert answer.json["response_type"] == "ephemeral"
    card = answer.text
    assert "Billing API" in card and "Payments" in card
    assert "*Primary*\\n<@U0ANN>" in card and "*Backup*\\n<@U0BOB>" in card
    assert "<#C0PAYMENTS>" in card


@pytest.mark.parametrize("question", ["biling", "BILLING API", "payments/billing", "invoices"])
async def test_typos_case_aliases_and_paths_find_the_entry(sender, directory, question):
    answer = await sender.command(question, command="/whoowns")
    assert answer.json["blocks"][0]["text"]["text"] == "Billing API"


async def test_close_matches_are_offered_as_buttons_that_open_them(sender, directory, engine):
    answer = await sender.command("billing", command="/whoowns")
    buttons = next(b for b in answer.json["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Billing reports"]
    await sender.action({"type": "button", "action_id": buttons[0]["action_id"], "value": buttons[0]["value"]})
    [opened] = sender.slack.response_url_posts_to("action")
    assert opened["replace_original"] is True and opened["blocks"][0]["text"]["text"] == "Billing reports"


async def test_nothing_matching_offers_to_claim_it_and_claiming_records_the_clicker(sender, directory, engine):
    answer = await sender.command("flux capacitor", command="/whoowns")
    assert "Nobody is recorded as owning “flux capacitor”" in answer.text
    claim = [b for b in answer.json["blocks"] if b["type"] == "actions"][-1]["elements"][0]
    assert claim["action_id"] == ActionId.CLAIM_COMPONENT
    await sender.action({"type": "button", "action_id": claim["action_id"], "value": claim["value"]}, user="U0BOB")
    [claimed] = sender.slack.response_url_posts_to("action")
    assert "*Primary*\\n<@U0BOB>" in str(claimed["blocks"]).replace("\n", "\\n")
    answer = await sender.command("flux capacitor", command="/whoowns")
    assert answer.json["blocks"][0]["text"]["text"] == "flux capacitor"


async def test_claiming_an_entry_with_a_reachable_owner_is_refused(sender, directory):
    await sender.action({"type": "button", "action_id": ActionId.CLAIM_COMPONENT, "value": "Billing API"}, user="U0BOB")
    [refused] = sender.slack.response_url_posts_to("action")
    assert "already has an owner" in refused["text"]


async def test_reverse_lookups_by_person_and_team(sender, directory):
    mine = await sender.command("<@U0ANN|ann>", command="/whoowns")
    assert "What <@U0ANN> owns" in mine.text and "Billing API" in mine.text and "Billing reports" in mine.text
    team = await sender.command("team payments", command="/whoowns")
    assert "What Payments owns" in team.text and "Billing reports" in team.text
    unknown = await sender.command("team wizards", command="/whoowns")
    assert "I don't know a team “wizards”" in unknown.text


async def test_stale_lists_deactivated_missing_and_unknown_contacts(sender, directory):
    answer = await sender.command("stale", command="/whoowns")
    text = answer.text
    assert "Ownership gaps (3)" in text
    assert "Search — U0GONE is deactivated" in text
    assert "Docs site — ghost@example.com is not in Slack" in text
    assert "Orphan — no primary contact" in text
    assert "Billing API" not in text


async def test_deactivated_contacts_are_flagged_on_the_card(sender, directory):
    answer = await sender.command("search", command="/whoowns")
    assert ":warning: deactivated" in answer.text and "Ownership may be stale" in answer.text


async def test_owners_change_entries_and_each_change_is_recorded(sender, directory, engine, herald):
    herald.settings = dataclasses.replace(herald.settings, admins=frozenset({"U0ADMIN"}))
    answer = await sender.command("set billing api backup <@U0CAROL|carol>", command="/whoowns")
    assert "*Backup*\\n<@U0CAROL>" in answer.text
    await sender.command("set billing api escalation page the payments on-call", command="/whoowns")
    with Session(engine) as session:
        changes = session.exec(select(OwnershipChange).order_by(OwnershipChange.id)).all()
    assert [(c.actor_id, c.field, c.old_value, c.new_value) for c in changes] == [
        ("U0ANN", "backup", "U0BOB", "U0CAROL"),
        ("U0ANN", "escalation", None, "page the payments on-call"),
    ]


async def test_a_non_owners_change_is_refused_and_changes_nothing(sender, directory, engine, herald):
    herald.settings = dataclasses.replace(herald.settings, admins=frozenset({"U0ADMIN"}))
    answer = await sender.command("set billing api primary <@U0EVE|eve>", command="/whoowns", user="U0EVE")
    assert "Only the owners of “Billing API” or a Herald admin can change it" in answer.text
    with Session(engine) as session:
        assert session.exec(select(OwnershipChange)).all() == []
        billing = session.exec(select(Component).where(Component.key == "billing-api")).one()
        assert billing.primary_contact_id == contact(session, "U0ANN").id


async def test_an_unknown_team_is_refused_with_close_names_and_nothing_is_stored(sender, directory, engine):
    with Session(engine) as session:
        add_team(session, "Platform")
    for typed, answer_says in (("paymnts", "I don't know a team “paymnts”. Did you mean Payments?"),
                               ("nosuchteam", "I don't know a team “nosuchteam”. Known teams: Payments, Platform.")):
        answer = await sender.command(f"set billing api team {typed}", command="/whoowns")
        assert answer_says in answer.text
    with Session(engine) as session:
        assert [team.name for team in session.exec(select(Team).order_by(Team.name)).all()] == ["Payments", "Platform"]
        assert session.exec(select(OwnershipChange)).all() == []
        billing = session.exec(select(Component).where(Component.key == "billing-api")).one()
        assert session.get(Team, billing.team_id).name == "Payments"


@pytest.mark.parametrize("word", ["none", "-"])
async def test_team_none_clears_the_entry_s_team(sender, directory, engine, word):
    answer = await sender.command(f"set billing api team {word}", command="/whoowns")
    assert section_texts(answer)[0] == "Team: Payments → none"
    with Session(engine) as session:
        assert session.exec(select(Component).where(Component.key == "billing-api")).one().team_id is None
        assert [team.name for team in session.exec(select(Team)).all()] == ["Payments"]


async def test_a_team_is_found_by_its_key_name_or_display_name(sender, directory, engine):
    with Session(engine) as session:
        platform = add_team(session, "platform-eng")
        platform.display_name = "Platform Engineering"
        session.add(platform)
        session.commit()
    answer = await sender.command("set billing api team platform engineering", command="/whoowns")
    assert "Team: Payments → platform-eng" in answer.text and "*Team*\\nPlatform Engineering" in answer.text


async def test_changing_the_team_keeps_the_entrys_own_channel_and_shows_old_and_new(sender, directory, engine):
    with Session(engine) as session:
        add_team(session, "Platform", channel="C0PLATFORM")
    channel = await sender.command("set billing api channel <#C0BILLING|billing>", command="/whoowns")
    assert section_texts(channel)[0] == "Channel: none → <#C0BILLING>"
    team = await sender.command("set billing api team platform", command="/whoowns")
    assert section_texts(team)[0] == "Team: Payments → Platform"
    assert team.json["text"] == "Billing API · Team: Payments → Platform"
    assert "*Channel*\\n<#C0BILLING>" in team.text and "C0PLATFORM" not in team.text
    with Session(engine) as session:
        assert session.exec(select(Component.channel).where(Component.key == "billing-api")).one() == "C0BILLING"


@pytest.mark.parametrize(("typed", "says"), [
    ("primary <@U0CAROL|carol>", "Primary: <@U0ANN> → <@U0CAROL>"),
    ("backup <@U0CAROL|carol>", "Backup: <@U0BOB> → <@U0CAROL>"),
    ("escalation page <the> on-call", "Escalation: none → page &lt;the&gt; on-call"),
    ("team Payments", "Team is already Payments: nothing changed."),
])
async def test_every_field_set_shows_its_old_and_new_value(sender, directory, typed, says):
    answer = await sender.command(f"set billing api {typed}", command="/whoowns")
    assert section_texts(answer)[0] == says
    assert answer.json["blocks"][1]["text"]["text"] == "Billing API"  # the card follows


def section_texts(answer) -> list[str]:
    return [block["text"]["text"] for block in answer.json["blocks"] if block["type"] == "section" and "text" in block]


async def test_mention_in_a_channel_is_answered_in_its_thread(sender, directory, slack):
    answer = await sender.event("slack/event_callback.app_mention.json",
                                {"text": "<@UHERALDBOT> who owns billing?", "channel": "C0GENERAL",
                                 "ts": "1700000001.000100", "user": "U0BOB"}, event_id="Ev0MENTION")
    assert answer.status == 200
    await sender.settle()
    [reply] = slack.messages["C0GENERAL"]
    assert reply["thread_ts"] == "1700000001.000100"
    assert reply["blocks"][0]["text"]["text"] == "Billing API"


async def test_a_retried_event_is_answered_once(sender, directory, slack):
    event = {"text": "<@UHERALDBOT> who owns billing?", "channel": "C0GENERAL", "ts": "1700000002.000100"}
    await sender.event("slack/event_callback.app_mention.json", event, event_id="Ev0RETRY")
    again = await sender.event("slack/event_callback.app_mention.json", event, event_id="Ev0RETRY", retry_num=1)
    assert again.status == 200
    await sender.settle()
    assert len(slack.messages["C0GENERAL"]) == 1


async def test_a_question_in_a_dm_is_answered_there(sender, directory, slack):
    await sender.event("slack/event_callback.message.im.json",
                       {"text": "who owns invoices", "channel": "D0ANN", "user": "U0ANN"}, event_id="Ev0DM")
    await sender.settle()
    [reply] = slack.messages["D0ANN"]
    assert reply["blocks"][0]["text"]["text"] == "Billing API"


async def test_a_dm_that_is_not_a_question_gets_help(sender, directory, slack):
    await sender.event("slack/event_callback.message.im.json",
                       {"text": "hello", "channel": "D0ANN", "user": "U0ANN"}, event_id="Ev0HELLO")
    await sender.settle()
    [reply] = slack.messages["D0ANN"]
    assert "/whoowns billing" in reply["text"]


async def test_after_answering_herald_checks_the_contacts_shown_are_still_in_slack(sender, directory, slack):
    slack.add_user("U0BOB", "bob", deleted=True)
    first = await sender.command("billing api", command="/whoowns")
    assert ":warning: deactivated" not in first.text  # the answer is not held up by Slack calls
    await sender.settle()
    assert {call.args["user"] for call in slack.calls_to("users.info")} == {"U0ANN", "U0BOB"}
    second = await sender.command("billing api", command="/whoowns")
    assert "<@U0BOB> :warning: deactivated" in second.text
    await sender.settle()
    assert len(slack.calls_to("users.info")) == 2  # checked at most once a day


async def test_asking_what_a_person_owns_checks_that_person_is_still_in_slack(sender, directory, slack):
    await sender.command("<@U0BOB|bob>", command="/whoowns")
    await sender.settle()
    assert [call.args["user"] for call in slack.calls_to("users.info")] == ["U0BOB"]


async def test_stale_rechecks_everyone_and_replaces_its_answer_when_someone_left(sender, directory, slack):
    slack.add_user("U0ANN", "ann", deleted=True)
    answer = await sender.command("stale", command="/whoowns")
    assert "Ownership gaps (3)" in answer.text
    await sender.settle()
    [updated] = slack.response_url_posts_to("command")
    assert updated["replace_original"] is True
    assert "Ownership gaps (5)" in updated["text"]


def buttons_of(answer: dict) -> dict[str, dict]:
    return {element["text"]["text"]: element for block in answer["blocks"] if block["type"] == "actions"
            for element in block["elements"]}


@pytest.mark.parametrize("typed", ["serch", "search engine", "billing-ap"])
async def test_set_on_a_name_that_is_not_exactly_an_entry_asks_and_changes_nothing(sender, directory, engine, typed):
    answer = await sender.command(f"set {typed} escalation page the on-call", command="/whoowns")
    assert f"I don't know a component “{typed}”. Did you mean" in answer.text
    assert all(not label.startswith("Use") for label in buttons_of(answer.json))  # a set never makes an entry
    with Session(engine) as session:
        assert session.exec(select(OwnershipChange)).all() == []


async def test_set_on_a_launch_key_is_not_taken_for_a_component_like_it(sender, directory, engine):
    with Session(engine) as session:
        add_component(session, "Checkout")
        add_launch(session, "Checkout v2")
    answer = await sender.command("set checkout-v2 team Payments", command="/whoowns")
    assert "I don't know a component “checkout-v2”. Did you mean Checkout?" in answer.text
    with Session(engine) as session:
        assert session.exec(select(Component.team_id).where(Component.key == "checkout")).one() is None


async def test_pressing_the_name_meant_runs_the_same_set_on_it(sender, directory, engine):
    asked = await sender.command("set serch channel <#C0SEARCH|search>", command="/whoowns")
    await sender.action({"type": "button", **{k: buttons_of(asked.json)["Search"][k] for k in ("action_id", "value")}})
    await sender.settle()
    [done] = sender.slack.response_url_posts_to("action")
    assert done["replace_original"] is True and done["blocks"][0]["text"]["text"] == "Channel: none → <#C0SEARCH>"
    with Session(engine) as session:
        assert session.exec(select(Component.channel).where(Component.key == "search")).one() == "C0SEARCH"


async def test_set_by_alias_or_key_any_case_is_exact(sender, directory):
    for typed in ("INVOICES", "billing-api", "Billing  API"):
        answer = await sender.command(f"set {typed} escalation {typed}", command="/whoowns")
        assert answer.json["blocks"][1]["text"]["text"] == "Billing API"


@pytest.mark.parametrize(("typed", "says"), [
    ("channel none", "Channel: none → none"),
    ("backup none", "Backup: <@U0BOB> → nobody"),
    ("primary -", "Primary: <@U0ANN> → nobody"),
    ("escalation none", "Escalation: page → none"),
    ("escalation tbd", "Escalation: page → none"),  # the words that clear a launch's fields clear these too
])
async def test_none_clears_every_field(sender, directory, engine, typed, says):
    await sender.command("set billing api escalation page", command="/whoowns")
    if typed.startswith("channel"):
        await sender.command("set billing api channel <#C0BILLING|billing>", command="/whoowns")
        says = "Channel: <#C0BILLING> → none"
    answer = await sender.command(f"set billing api {typed}", command="/whoowns")
    assert section_texts(answer)[0] == says
    field = {"channel": Component.channel, "backup": Component.backup_contact_id,
             "primary": Component.primary_contact_id, "escalation": Component.escalation}[typed.split()[0]]
    with Session(engine) as session:
        assert session.exec(select(field).where(Component.key == "billing-api")).one() is None


async def test_team_alone_shows_its_usage(sender, directory):
    answer = await sender.command("team", command="/whoowns")
    assert "Use `/whoowns team &lt;team&gt;`" in answer.text and "Claim" not in answer.text


async def test_an_at_word_slack_did_not_link_is_no_user_and_offers_no_claim(sender, directory):
    answer = await sender.command("@nobody", command="/whoowns")
    assert "I don't know a Slack user “@nobody”" in answer.text and "Claim" not in answer.text


async def test_claim_is_not_a_command_and_creates_nothing(sender, directory, engine):
    answer = await sender.command("claim flux capacitor", command="/whoowns")
    assert "`/whoowns claim` is not a command" in answer.text and "Nobody is recorded" not in answer.text
    with Session(engine) as session:
        assert session.exec(select(Component).where(Component.key.contains("flux"))).all() == []
