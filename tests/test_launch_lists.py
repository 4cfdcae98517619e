"""`/launch digests` and `/launch releases`: the lists product-ops managers look for, over signed requests.

Digests are set up with the slash command and posted by the real runner; releases are recorded with the
release service and delivered by the real outbox worker against the fake Slack, with faults injected so
that a channel fails with a reason or a post's outcome is unknown. Each list is also read in a fixed
number of SQL statements, counted on the engine as tests/test_digest_statements.py counts digests.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.core.roles import Roles
from bot.digests.listing import LISTED, digests_here
from bot.digests.models import Digest, DigestRun, RunState
from bot.digests.runner import DigestRunner
from bot.releases.listing import releases_here
from bot.releases.models import Release
from bot.releases.recording import withdraw_release
from tests.conftest import NOW
from tests.test_digest_statements import counting
from tests.test_release_delivery import drain, new_worker, release, subscribe_channels

ADMIN = "U0ADMIN"


def section_texts(answer) -> list[str]:
    return [block["text"]["text"] for block in answer.json["blocks"] if block["type"] == "section"]


# /launch digests


async def test_digests_lists_this_channels_digest_with_schedule_filters_next_and_last_run(sender, herald, slack):
    await sender.command("digest daily 09:00 Europe/Berlin stage:beta always", channel="C0LAUNCHES")
    with Session(herald.engine) as session:
        digest_id = session.exec(select(Digest)).one().id
    assert await DigestRunner(herald).run(digest_id) == "posted"  # today's 09:00 Berlin run, half an hour late

    answer = await sender.command("digests", channel="C0LAUNCHES")
    title, line = section_texts(answer)
    assert title == "*Digests in this workspace (1)*"  # no admins configured: Herald is open to everyone
    assert line == ("*<#C0LAUNCHES>* — Daily at 09:00 Europe/Berlin\n"
                    "stage: beta · posted even when empty\n"
                    "Next: Thu 26 Nov 2026 09:00 Europe/Berlin · last posted: Wed 25 Nov 2026 09:00 Europe/Berlin"
                    " · set up by <@U0ANN>")


async def test_a_non_admin_sees_this_channels_digest_and_their_own_an_admin_sees_every_one(sender, herald):
    await sender.command("digest weekdays 09:00", channel="C0LAUNCHES", user="U0ANN")
    await sender.command("digest weekly mon 10:00 stage:beta", channel="C0GENERAL", user="U0BOB")
    await sender.command("digest me daily 08:00", channel="C0GENERAL", user="U0ANN")
    await sender.command("digest me daily 07:30", channel="C0GENERAL", user="U0BOB")
    herald.roles = Roles(admins=frozenset({ADMIN}))

    mine = section_texts(await sender.command("digests", channel="C0LAUNCHES", user="U0ANN"))
    assert mine[0] == "*Digests here and yours (2)*"
    assert mine[1].startswith("*<#C0LAUNCHES>* — Weekdays at 09:00 Europe/Berlin\nno filters · skipped when empty")
    assert mine[2].startswith("*<@U0ANN>'s personal digest (by DM)* — Daily at 08:00 Europe/Berlin")
    assert "C0GENERAL" not in str(mine) and "U0BOB" not in str(mine)

    every = section_texts(await sender.command("digests", channel="C0LAUNCHES", user=ADMIN))
    assert every[0] == "*Digests in this workspace (4)*"
    assert [line.split(" — ")[0] for line in every[1:]] == [
        "*<#C0GENERAL>*", "*<#C0LAUNCHES>*", "*<@U0ANN>'s personal digest (by DM)*",
        "*<@U0BOB>'s personal digest (by DM)*"]
    assert "stage: beta" in every[1] and "set up by <@U0BOB>" in every[1]
    assert "D0BOB" not in str(every)  # a person, never their DM channel


async def test_no_digests_gets_a_hint_how_to_set_one_up(sender, herald):
    herald.roles = Roles(admins=frozenset({ADMIN}))
    answer = await sender.command("digests", channel="C0LAUNCHES")
    assert answer.json["response_type"] == "ephemeral"
    assert "No digests are set up here yet. Start one in a channel with `/launch digest daily 09:00" in answer.text
    assert "`/launch digest me daily 08:00`" in answer.text


def add_digests(engine, first: int, last: int) -> None:
    """Channel and personal digests number `first` to `last` - 1, each with two posted runs and a skipped one."""
    with session_scope(engine) as session:
        for n in range(first, last):
            digest = Digest(channel_id=f"C0D{n:03}" if n % 2 else f"U0D{n:03}", personal=not n % 2,
                            cron="0 9 * * mon-fri", timezone="Europe/Berlin", created_by="U0ANN",
                            filters={"team": "payments"})
            session.add(digest)
            session.flush()
            session.add_all(DigestRun(digest_id=digest.id, period=nine_berlin(days_ago), state=state)
                            for days_ago, state in ((1, RunState.POSTED), (2, RunState.POSTED), (0, RunState.SKIPPED)))


def nine_berlin(days_ago: int):
    return NOW.replace(hour=8, minute=0) - timedelta(days=days_ago)


def test_the_digest_list_takes_the_same_statements_for_4_digests_as_for_40(herald):
    herald.roles = Roles(admins=frozenset({ADMIN}))
    counts = []
    for first, last in ((0, 4), (4, 40)):
        add_digests(herald.engine, first, last)
        with counting(herald.engine) as statements:
            found = digests_here(herald, channel_id="C0LAUNCHES", user_id=ADMIN)
        assert len(found.digests) == last and all(d.last_posted == nine_berlin(1) for d in found.digests)
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_a_long_digest_list_reads_only_the_digests_it_shows_and_counts_the_rest(sender, herald):
    herald.roles = Roles(admins=frozenset({ADMIN}))
    add_digests(herald.engine, 0, LISTED + 12)
    found = digests_here(herald, channel_id="C0LAUNCHES", user_id=ADMIN)
    assert (len(found.digests), found.total) == (LISTED, LISTED + 12)
    assert [d.personal for d in found.digests] == [False] * ((LISTED + 12) // 2) + [True] * (LISTED // 2 - 6)
    answer = await sender.command("digests", channel="C0LAUNCHES", user=ADMIN)
    assert f"*Digests in this workspace ({LISTED + 12})*" == section_texts(answer)[0]
    assert answer.json["blocks"][-1]["elements"][0]["text"] == "…and 12 more digests not shown."


# /launch releases


async def test_releases_show_where_each_was_sent_failed_or_is_still_checking(sender, herald, slack, clock):
    subscribe_channels(herald, slack, ["C0ONE", "C0TWO", "C0OLD"])
    del slack.channels["C0OLD"]  # gone since it subscribed: Slack answers channel_not_found
    release(herald, version="1.4.0")
    await drain(new_worker(herald))
    clock.now += timedelta(hours=1)
    subscribe_channels(herald, slack, ["C0SEARCH"], spec="search")
    slack.lose_answers("chat.postMessage", times=1)  # posted, but Herald never hears back: it must look first
    release(herald, component="search", version="2.0.0", title="Faster <results>")
    await drain(new_worker(herald))
    clock.now += timedelta(seconds=1)
    release(herald, version="1.4.2")  # recorded, not delivered yet
    release(herald, version="1.5.0", announce_at=clock.now + timedelta(days=2))

    title, scheduled, pending, checking, sent = section_texts(await sender.command("releases"))
    assert title == "*Recent releases*"
    assert scheduled == ("*billing 1.5.0*\nrecorded by <@U0ANN>\n"
                         "Scheduled for Fri 27 Nov 2026 11:30: it goes to the subscribed channels then.")
    assert pending.endswith("Sent to 0 of 2 channels; 2 pending.\n<#C0ONE> pending\n<#C0TWO> pending")
    assert checking == ("*search 2.0.0* — Faster &lt;results&gt;\nWed 25 Nov 2026 11:30 · recorded by <@U0ANN>\n"
                        "Sent to 0 of 1 channel; 1 checking.\n<#C0SEARCH> checking whether it was posted")
    assert sent == ("*billing 1.4.0*\nWed 25 Nov 2026 10:30 · recorded by <@U0ANN>\n"
                    "Sent to 2 of 3 channels; 1 failed.\n<#C0OLD> ✗ failed: channel_not_found\n"
                    "<#C0ONE> ✓ sent\n<#C0TWO> ✓ sent")


async def test_withdrawn_releases_are_marked_and_their_unsent_announcements_cancelled(sender, herald, slack):
    subscribe_channels(herald, slack, ["C0ONE"])
    recorded = release(herald)
    with session_scope(herald.engine) as session:
        withdraw_release(session, session.get(Release, recorded.id), actor="U0ANN")
    [line] = section_texts(await sender.command("releases billing"))[1:]
    assert line.startswith("*billing 1.4.0* · :no_entry: withdrawn\n")
    assert line.endswith("Sent to 0 of 1 channel; 1 cancelled.\n<#C0ONE> cancelled: withdrawn before it was shown")


async def test_releases_of_a_component_are_its_own_and_an_unknown_one_suggests_close_names(sender, herald, slack):
    subscribe_channels(herald, slack, ["C0ONE"], spec="all")
    release(herald, component="billing", version="1.4.0")
    release(herald, component="Search API", version="2.0.0")
    answer = await sender.command("releases search api")
    assert section_texts(answer)[0] == "*Recent releases of Search API*"
    assert "2.0.0" in answer.text and "billing" not in answer.text

    unknown = await sender.command("releases biling")
    assert "There are no releases of “biling”. Did you mean billing?" in unknown.text


async def test_a_release_sent_to_many_channels_lists_ten_and_counts_the_rest(sender, herald, slack):
    channels = [f"C0MANY{n:02}" for n in range(14)]
    subscribe_channels(herald, slack, channels)
    del slack.channels["C0MANY00"]  # gone since it subscribed: Slack answers channel_not_found
    release(herald)
    await drain(new_worker(herald))
    [line] = section_texts(await sender.command("releases"))[1:]
    assert "Sent to 13 of 14 channels; 1 failed." in line
    assert "\n<#C0MANY00> ✗ failed: channel_not_found\n<#C0MANY01> ✓ sent" in line
    assert line.count("✓ sent") == 9 and line.endswith("\n+4 more")


def test_the_release_list_takes_the_same_statements_for_2_releases_of_3_channels_as_for_10_of_30(herald, slack):
    counts = []
    for releases, channels in ((2, 3), (10, 30)):
        subscribe_channels(herald, slack, [f"C0S{n:03}" for n in range(channels)])
        for n in range(releases):
            release(herald, version=f"{channels}.{n}")
        with counting(herald.engine) as statements:
            found = releases_here(herald, component=None)
        assert len(found) == releases and len(found[0].channels) == channels
        counts.append(len(statements))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("command", ["digests", "releases"])
async def test_help_names_the_lists(sender, command):
    answer = await sender.command("help")
    assert f"`/launch {command}" in answer.text
