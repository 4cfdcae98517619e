"""The release outbox: every subscribed channel gets each release exactly once, through 429s and crashes."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.releases.models import Delivery, Release, Subscription
from bot.releases.outbox import DeliveryWorker
from bot.releases.pacing import Pace
from bot.releases.recording import ReleaseInput, record_release, subscribe, withdraw_release
from bot.runtime.cli import main
from bot.runtime.workers import outbox_worker

FAST = Pace(per_channel=0.0, per_second=10_000)


@pytest.fixture
def worker(herald):
    return new_worker(herald)


def new_worker(herald) -> DeliveryWorker:
    """The outbox worker as the runtime builds it, paced for tests."""
    return DeliveryWorker(herald, outbox_worker(herald).messenger, pace=FAST, lease=timedelta(seconds=60))


async def drain(worker: DeliveryWorker) -> None:
    while await worker.run_once():
        pass


def subscribe_channels(herald, slack, channels: list[str], spec: str = "billing", **options) -> None:
    with session_scope(herald.engine) as session:
        for channel in channels:
            slack.add_channel(channel, channel.lower())
            subscribe(session, channel_id=channel, spec=spec, prereleases=options.get("prereleases", False),
                      actor_id="U0ANN")


def release(herald, **fields) -> Release:
    data = ReleaseInput(**({"component": "billing", "version": "1.4.0", "source": "cli",
                            "notes": "## What changed\n- Invoices in **EUR**", "created_by": "U0ANN"} | fields))
    with session_scope(herald.engine) as session:
        return record_release(session, data, now=herald.clock())


def announcements(slack, channel: str) -> list[dict]:
    return [m for m in slack.messages.get(channel, []) if (m.get("metadata") or {}).get("event_type")]


async def test_fan_out_reaches_every_subscribed_channel_once(herald, slack, worker):
    channels = [f"C0SUB{n:03}" for n in range(40)]
    subscribe_channels(herald, slack, channels)
    subscribe_channels(herald, slack, channels[:5], spec="all")  # two subscriptions, still one message
    release(herald)
    await drain(worker)
    for channel in channels:
        [message] = announcements(slack, channel)
        assert message["blocks"][0]["text"]["text"] == "billing 1.4.0"
        assert {"type": "markdown", "text": "## What changed\n- Invoices in **EUR**"} in message["blocks"]
        assert f"You get this because <#{channel}> subscribed to billing releases." in str(message["blocks"])
    await drain(worker)
    assert sum(len(announcements(slack, c)) for c in channels) == 40


async def test_prereleases_go_only_to_subscriptions_that_asked(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0EARLY"], prereleases=True)
    subscribe_channels(herald, slack, ["C0STABLE"])
    release(herald, version="2.0.0-rc1", prerelease=True)
    await drain(worker)
    assert len(announcements(slack, "C0EARLY")) == 1
    assert announcements(slack, "C0STABLE") == []


async def test_a_429_storm_delays_but_loses_and_duplicates_nothing(herald, slack, worker):
    channels = [f"C0STORM{n}" for n in range(6)]
    subscribe_channels(herald, slack, channels)
    slack.rate_limit("chat.postMessage", times=4, retry_after=0)
    release(herald)
    await drain(worker)
    assert [len(announcements(slack, c)) for c in channels] == [1] * 6
    assert len(slack.rate_limited_calls) == 4


async def test_a_crash_between_post_and_record_is_reconciled_without_posting_twice(herald, slack, clock):
    subscribe_channels(herald, slack, ["C0CRASH", "C0CALM"])
    slack.lose_answers("chat.postMessage", times=1)
    release(herald)
    await drain(new_worker(herald))
    with Session(herald.engine) as session:
        states = Counter(d.state for d in session.exec(select(Delivery)).all())
    assert states == {"sent": 1, "uncertain": 1}  # one outcome is unknown to Herald

    clock.now += timedelta(minutes=10)  # its lease and back-off are long over; a fresh worker takes over
    await drain(new_worker(herald))
    assert len(announcements(slack, "C0CRASH")) == 1 and len(announcements(slack, "C0CALM")) == 1
    assert slack.calls_to("conversations.history")
    with Session(herald.engine) as session:
        assert {d.state for d in session.exec(select(Delivery)).all()} == {"sent"}


async def test_edits_update_every_posted_announcement_in_place(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0ONE", "C0TWO"])
    release(herald)
    await drain(worker)
    release(herald, notes="Fixed: invoices in **EUR** and GBP")  # same component and version: an edit
    await drain(worker)
    for channel in ("C0ONE", "C0TWO"):
        [message] = announcements(slack, channel)
        assert "GBP" in str(message["blocks"])
    assert len(slack.calls_to("chat.update")) == 2


async def test_withdrawn_releases_are_marked_and_unsent_ones_never_go_out(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0ONE"])
    posted = release(herald)
    await drain(worker)
    with session_scope(herald.engine) as session:
        withdraw_release(session, session.get(Release, posted.id))
    await drain(worker)
    [message] = announcements(slack, "C0ONE")
    assert message["blocks"][0]["text"]["text"] == "Withdrawn: billing 1.4.0"


async def test_archived_channel_stops_its_subscription_and_tells_who_made_it(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0OLD"])
    slack.channels["C0OLD"]["is_archived"] = True
    release(herald)
    await drain(worker)
    with Session(herald.engine) as session:
        assert session.exec(select(Subscription.active)).one() is False
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "U0ANN"]
    assert "is_archived" in dm.args["text"]


async def test_not_in_a_public_channel_joins_it_and_posts(herald, slack, worker):
    slack.chat_write_public = False
    subscribe_channels(herald, slack, ["C0PUBLIC"])
    slack.channels["C0PUBLIC"]["is_member"] = False
    release(herald)
    await drain(worker)
    assert len(announcements(slack, "C0PUBLIC")) == 1
    assert slack.calls_to("conversations.join")


async def test_repeated_failures_give_up_and_tell_the_release_owner(herald, slack, worker, clock):
    subscribe_channels(herald, slack, ["C0BAD"])
    slack.fail("chat.postMessage", "invalid_blocks", times=5)
    release(herald)
    for _ in range(6):
        await drain(worker)
        clock.now += timedelta(minutes=10)
    with Session(herald.engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 5, "invalid_blocks")
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "U0ANN"]
    assert "gave up announcing" in str(dm.args["blocks"])


async def test_scheduled_releases_wait_for_their_time(herald, slack, worker, clock):
    subscribe_channels(herald, slack, ["C0LATER"])
    release(herald, announce_at=clock.now + timedelta(hours=2))
    await drain(worker)
    assert announcements(slack, "C0LATER") == []
    clock.now += timedelta(hours=2)
    await drain(worker)
    assert len(announcements(slack, "C0LATER")) == 1


async def test_long_notes_are_split_across_markdown_blocks_without_losing_a_word(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0LONG"])
    notes = "\n\n".join(f"Paragraph {n}: " + "word " * 400 for n in range(15))
    release(herald, notes=notes)
    await drain(worker)
    [message] = announcements(slack, "C0LONG")
    parts = [b["text"] for b in message["blocks"] if b["type"] == "markdown"]
    assert len(parts) > 1 and all(len(part) <= 12_000 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(notes.split())


async def test_cli_announce_records_and_sends_to_every_subscriber(herald, slack, monkeypatch, tmp_path, settings_env):
    subscribe_channels(herald, slack, ["C0CLI1", "C0CLI2"])
    notes = tmp_path / "NOTES.md"
    notes.write_text("# 1.5.0\n\n- Refunds in one click\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    code = await asyncio.to_thread(main, ["release", "announce", "--component", "billing", "--version", "1.5.0",
                                          "--notes-file", str(notes), "--link", "https://example.com/1.5.0"])
    assert code == 0
    for channel in ("C0CLI1", "C0CLI2"):
        [message] = announcements(slack, channel)
        assert {"type": "markdown", "text": "# 1.5.0\n\n- Refunds in one click"} in message["blocks"]
    bad = await asyncio.to_thread(main, ["release", "announce", "--component", "billing", "--version", "1.6.0",
                                         "--link", "ftp://nope"])
    assert bad == 1


async def test_rate_limits_in_a_channel_herald_has_not_joined_neither_fail_nor_unsubscribe(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0OUTSIDE"])
    slack.channels["C0OUTSIDE"]["is_member"] = False  # posted to through chat:write.public
    slack.rate_limit("chat.postMessage", times=6, retry_after=0)
    release(herald)
    await drain(worker)
    assert len(announcements(slack, "C0OUTSIDE")) == 1
    with Session(herald.engine) as session:
        assert session.exec(select(Subscription.active)).one() is True
        assert session.exec(select(Delivery.attempts)).one() == 1  # 429s are not failures


async def test_a_lost_answer_in_a_channel_herald_has_not_joined_is_reconciled_after_joining(herald, slack, clock):
    subscribe_channels(herald, slack, ["C0OUTSIDE"])
    slack.channels["C0OUTSIDE"]["is_member"] = False
    slack.lose_answers("chat.postMessage", times=1)
    release(herald)
    await drain(new_worker(herald))
    clock.now += timedelta(minutes=10)
    await drain(new_worker(herald))
    assert len(announcements(slack, "C0OUTSIDE")) == 1
    assert [c.args["channel"] for c in slack.calls_to("conversations.join")] == ["C0OUTSIDE"]


async def test_a_link_whose_text_hides_where_it_goes_is_shown_with_its_host(herald, slack, worker):
    subscribe_channels(herald, slack, ["C0LINKS"])
    release(herald, notes="Log in again: [totally-legit](https://evil.example/login). Docs: "
                          "[https://docs.example.com](https://docs.example.com)")
    await drain(worker)
    [message] = announcements(slack, "C0LINKS")
    [notes] = [b["text"] for b in message["blocks"] if b["type"] == "markdown"]
    assert notes == ("Log in again: [totally-legit](https://evil.example/login) (evil.example). Docs: "
                     "[https://docs.example.com](https://docs.example.com)")
