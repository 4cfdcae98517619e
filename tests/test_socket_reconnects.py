"""Socket Mode keeps Herald reachable (issue 14): after a refresh or a dropped connection Herald is connected again
within 2 s, a silent connection is noticed within 15 s, and every reconnect is logged.

Herald runs as `herald socket` runs it (harness.herald_over): Bolt's handler kept by the ConnectionKeeper, against
the fake Slack's Socket Mode peer, which refreshes, drops and silences connections as Slack and networks do.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import pytest

from bot.runtime.socket_mode import WATCH_INTERVAL
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import Connection, NotAcked
from tests.support.harness import herald_over
from tests.support.slack_requests import SlackSender, event_payload

BACK_WITHIN = 2.0  # seconds: the bound for a reconnect after a refresh or a drop
SILENCE_NOTICED_WITHIN = 15.0  # seconds: the bound for noticing a connection that went quiet
DM = {"text": "hello", "channel": "D0ANN", "user": "U0ANN"}  # a DM to Herald; it answers with help, in D0ANN
T = TypeVar("T")


@pytest.fixture
async def socket_sender(herald, slack: FakeSlack, caplog) -> AsyncIterator[SlackSender]:
    caplog.set_level(logging.INFO, logger="herald")
    async with herald_over("socket", herald, slack) as sending:
        yield sending


async def until(check: Callable[[], Awaitable[T | None]], *, within: float, what: str) -> T:
    """`check`'s first answer that is not None, asked every 20 ms; fails the test after `within` seconds."""
    deadline = time.monotonic() + within
    while (answer := await check()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)
    return answer


def herald_log(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "herald"]


async def logged(caplog, start: str, *, within: float = 1.0) -> str:
    """Herald's one log line starting with `start`, once it is there: the keeper says so at its next look."""
    async def line() -> str | None:
        lines = [line for line in herald_log(caplog) if line.startswith(start)]
        assert len(lines) <= 1, lines
        return lines[0] if lines else None

    return await until(line, within=within, what=f"Herald logs {start!r}")


def the_one_live(slack: FakeSlack) -> Connection:
    [connection] = slack.socket_mode.live
    return connection


async def assert_answered(sender: SlackSender, on: Connection) -> None:
    """A slash command sent now is answered, and Slack delivered it on `on`."""
    answer = await sender.command("status")
    assert "0 active launches" in answer.text
    assert on.envelopes[-1]["type"] == "slash_commands"


async def assert_dm_answered_once(sender: SlackSender) -> None:
    await sender.settle()
    [reply] = sender.slack.messages["D0ANN"]
    assert "/whoowns billing" in reply["text"]


async def test_a_refresh_gives_one_new_connection_within_2_s_that_answers_at_once(socket_sender, slack, caplog):
    peer = slack.socket_mode
    old = the_one_live(slack)
    asked = time.monotonic()
    await peer.ask_to_reconnect(old, "refresh_requested")
    new = await peer.wait_for(newer_than=old, timeout=BACK_WITHIN)
    assert new.opened_at - asked < BACK_WITHIN
    await assert_answered(socket_sender, new)

    assert await logged(caplog, "Socket Mode: Slack asked") == (
        "Socket Mode: Slack asked for a new connection (refresh_requested); reconnecting")
    assert await logged(caplog, "Socket Mode: connected again") == "Socket Mode: connected again (refresh_requested)"
    await asyncio.sleep(0.75)  # three more looks of the ConnectionKeeper: it must not open a connection of its own
    assert peer.connections == [old, new] and peer.live == [new]
    assert not [line for line in herald_log(caplog) if line.startswith("Socket Mode: connection lost")]  # a refresh


async def test_a_refresh_whose_old_connection_closes_at_once_still_gives_one_new_connection(socket_sender, slack,
                                                                                           caplog):
    """The new connection is on its way when the old one goes: that gap is no loss, and makes no second one."""
    peer = slack.socket_mode
    old = the_one_live(slack)
    asked_before = urls_asked(slack)
    slack.slow("apps.connections.open", 1.0)  # the SDK is still asking for a URL when the keeper looks
    await peer.ask_to_reconnect(old, "refresh_requested")
    await logged(caplog, "Socket Mode: Slack asked")
    await asyncio.sleep(2 * WATCH_INTERVAL)  # the keeper looks while the new connection is on its way
    peer.drop(old)
    new = await peer.wait_for(newer_than=old, timeout=BACK_WITHIN)
    assert await logged(caplog, "Socket Mode: connected again", within=BACK_WITHIN) == (
        "Socket Mode: connected again (refresh_requested)")
    await asyncio.sleep(0.75)
    assert peer.connections == [old, new] and urls_asked(slack) - asked_before == 1
    assert not [line for line in herald_log(caplog) if line.startswith("Socket Mode: connection lost")]
    await assert_answered(socket_sender, new)


@pytest.mark.parametrize(("fault", "within", "why"), [
    ("drop", BACK_WITHIN, "closed by the other end or the network"),
    # The slow one: PING_INTERVAL as shipped, so the wait is the real one (a ping after 5 s, 2.5 s for a pong).
    ("silence", SILENCE_NOTICED_WITHIN, "no answer to a ping within 2.5 s"),
])
async def test_a_lost_connection_is_replaced_in_time_and_logged_with_why_and_how_long(socket_sender, slack, caplog,
                                                                                     fault, within, why):
    peer = slack.socket_mode
    old = the_one_live(slack)
    lost = time.monotonic()
    getattr(peer, fault)(old)
    new = await peer.wait_for(newer_than=old, timeout=within)
    assert new.opened_at - lost < within
    await assert_answered(socket_sender, new)

    assert await logged(caplog, "Socket Mode: connection lost") == f"Socket Mode: connection lost ({why}); reconnecting"
    back = await logged(caplog, "Socket Mode: connected again")
    assert float(re.fullmatch(r"Socket Mode: connected again after (\d+\.\d\d) s", back)[1]) < within
    assert peer.live == [new]


async def assert_nothing_lost(sender: SlackSender, on: Connection) -> None:
    """What Slack sends once Herald is back is all answered there: a slash command, and a DM to Herald."""
    await assert_answered(sender, on)
    await sender.event("slack/event_callback.message.im.json", DM, event_id="Ev0AFTER")
    assert on.envelopes[-1]["type"] == "events_api"
    await assert_dm_answered_once(sender)


def urls_asked(slack: FakeSlack) -> int:
    """How many times Slack was asked for a connection URL (apps.connections.open), refused or not."""
    return len([call for call in slack.received if call.method == "apps.connections.open"])


async def test_slack_failing_to_give_a_new_connection_is_retried_with_growing_waits_each_failure_logged(
        socket_sender, slack, caplog):
    peer = slack.socket_mode
    old = the_one_live(slack)
    asked_before = urls_asked(slack)
    slack.fail("apps.connections.open", "internal_error", times=5)  # 7.75 s down: longer than a ping interval
    peer.drop(old)
    new = await peer.wait_for(newer_than=old, timeout=10)
    await assert_nothing_lost(socket_sender, new)

    failures = [line for line in herald_log(caplog) if line.startswith("Socket Mode: could not reconnect")]
    assert failures == [f"Socket Mode: could not reconnect (Slack answered internal_error); trying again in {wait} s"
                        for wait in ("0.25", "0.50", "1.00", "2.00", "4.00")]
    # One URL a try, through the ping interval the SDK's monitor ticks at: five refusals and the one it used.
    assert urls_asked(slack) - asked_before == 6
    assert peer.live == [new]


async def test_slack_rate_limiting_new_connections_is_waited_out_as_slack_says(socket_sender, slack, caplog):
    peer = slack.socket_mode
    old = the_one_live(slack)
    slack.rate_limit("apps.connections.open", times=2, retry_after=1)
    dropped = time.monotonic()
    peer.drop(old)
    new = await peer.wait_for(newer_than=old, timeout=10)
    assert new.opened_at - dropped >= 2  # Retry-After: 1, twice, each waited out and logged
    await assert_nothing_lost(socket_sender, new)
    assert len(slack.rate_limited_calls) == 2 and peer.live == [new]
    assert [line for line in herald_log(caplog) if line.startswith("Socket Mode: could not")] == [
        "Socket Mode: could not reconnect (Slack answered ratelimited); trying again in 1.00 s"] * 2
    back = await logged(caplog, "Socket Mode: connected again")
    assert float(re.fullmatch(r"Socket Mode: connected again after (\d+\.\d\d) s", back)[1]) >= 2


async def test_calls_for_a_new_connection_dropped_on_the_way_are_retried(socket_sender, slack, caplog):
    peer = slack.socket_mode
    old = the_one_live(slack)
    slack.drop_calls("apps.connections.open", times=3)
    peer.drop(old)
    new = await peer.wait_for(newer_than=old, timeout=10)
    await assert_nothing_lost(socket_sender, new)
    tries = [line for line in herald_log(caplog) if line.startswith("Socket Mode: could not")]
    assert len(tries) == 3 and all(line.startswith("Socket Mode: could not reconnect (Slack unreachable: ")
                                   for line in tries)  # each logged: the socket's client retries nothing itself
    assert peer.live == [new]


async def test_a_url_slack_no_longer_accepts_is_given_up_for_a_fresh_one(socket_sender, slack, caplog, monkeypatch):
    """Slack's URLs are single-use and expire; slack_sdk alone would retry a refused one every ping interval."""
    peer = slack.socket_mode
    old = the_one_live(slack)
    hand_out = peer.open_url

    def expired_url() -> dict:
        url = hand_out()
        peer.tickets.clear()  # expired before Herald could use it
        monkeypatch.setattr(peer, "open_url", hand_out)
        return url

    monkeypatch.setattr(peer, "open_url", expired_url)
    dropped = time.monotonic()
    peer.drop(old)
    new = await peer.wait_for(newer_than=old, timeout=SILENCE_NOTICED_WITHIN)
    await assert_answered(socket_sender, new)
    assert await logged(caplog, "Socket Mode: could not reconnect") == (
        "Socket Mode: could not reconnect (the WebSocket did not open: HTTP 401 Invalid response status); trying "
        "again in 0.25 s")  # the handshake's error, in one line: no traceback, no URL with its ticket
    assert new.opened_at - dropped < BACK_WITHIN  # given up at the first refusal, not after a ping interval
    assert not [record for record in caplog.records if record.exc_info]


async def get_health(sender: SlackSender) -> dict:
    async with sender.session.get(sender.base_url + "/healthz") as response:
        assert response.status == 200  # a reconnect is well within healthz's grace
        return await response.json()


async def test_healthz_says_disconnected_while_the_connection_is_down_then_connected(socket_sender, slack):
    peer = slack.socket_mode
    old = the_one_live(slack)
    assert (await get_health(socket_sender))["socket"] == "connected"
    slack.fail("apps.connections.open", "internal_error", times=2)  # down for a second, long enough to be seen
    peer.drop(old)

    async def health_says(word: str) -> dict | None:
        health = await get_health(socket_sender)
        return health if health["socket"] == word else None

    down = await until(lambda: health_says("disconnected"), within=BACK_WITHIN, what="healthz says disconnected")
    up = await until(lambda: health_says("connected"), within=BACK_WITHIN * 2, what="healthz says connected again")
    assert up["since"] > down["since"]
    [new] = peer.live
    assert new is not old


async def test_an_event_resent_after_its_connection_dropped_unacked_is_answered_once(socket_sender, slack):
    peer = slack.socket_mode
    old = the_one_live(slack)
    peer.silence(old)  # Herald gets the envelope, but its ack is lost with the connection
    payload = event_payload("slack/event_callback.message.im.json", DM, event_id="Ev0LOSTACK")
    with pytest.raises(NotAcked):
        await peer.send("events_api", payload, to=old, ack_within=0.5)
    peer.drop(old)
    new = await peer.wait_for(newer_than=old, timeout=BACK_WITHIN)

    await peer.send("events_api", payload, to=new, retry_attempt=1, retry_reason="timeout")  # acked, or NotAcked
    await assert_dm_answered_once(socket_sender)


async def test_many_disconnects_at_once_while_slack_is_slow_give_one_new_connection_that_answers(socket_sender, slack,
                                                                                               caplog):
    """Slack may repeat `disconnect`; each used to start a reconnect of its own, leaving an unread connection."""
    peer = slack.socket_mode
    old = the_one_live(slack)
    asked_before = urls_asked(slack)
    slack.slow("apps.connections.open", 1.0)
    for _ in range(5):
        await peer.ask_to_reconnect(old, "refresh_requested")
    new = await peer.wait_for(newer_than=old, timeout=BACK_WITHIN + 1)
    slack.slow("apps.connections.open", 0)
    await asyncio.sleep(0.75)  # any second reconnect would show by now
    assert peer.connections == [old, new] and peer.live == [new]
    assert urls_asked(slack) - asked_before == 1
    for _ in range(4):  # every command is read and answered: no connection is left open and unread
        await assert_answered(socket_sender, new)


async def test_connections_cut_soon_after_they_open_are_retried_less_and_less_often(socket_sender, slack, caplog):
    """A middlebox killing each connection after hello must not turn into a storm of apps.connections.open."""
    peer = slack.socket_mode
    asked_before = urls_asked(slack)
    cutting = True

    async def cut_each_new_connection() -> None:
        seen = {c.number for c in peer.connections}
        while cutting:
            for connection in peer.live:
                if connection.number not in seen:
                    seen.add(connection.number)
                    peer.drop(connection)
            await asyncio.sleep(0.01)

    cutter = asyncio.create_task(cut_each_new_connection())
    peer.drop(the_one_live(slack))
    await asyncio.sleep(4)
    async with socket_sender.session.get(socket_sender.base_url + "/healthz") as response:
        assert (await response.json())["socket"] == "disconnected"  # however briefly each one was up
    cutting = False
    await cutter
    asked = urls_asked(slack) - asked_before
    assert 3 <= asked <= 6, asked  # 0.25 s apart without the backoff: about 16
    waits = [line for line in herald_log(caplog) if "after it opened" in line]
    assert waits and all(re.fullmatch(r"Socket Mode: the connection closed \d+\.\d\d s after it opened \(\d+ in a "
                                      r"row\); trying again in \d+\.\d\d s", line) for line in waits)
    new = await peer.wait_for(timeout=10)  # once the cutting stops, the next try holds
    await assert_answered(socket_sender, new)


async def test_a_refresh_slack_rate_limits_is_tried_again_after_retry_after_while_the_old_connection_serves(
        socket_sender, slack, caplog):
    """It was given up at once, so the old connection served until Slack closed it, and then a gap."""
    peer = slack.socket_mode
    old = the_one_live(slack)
    slack.rate_limit("apps.connections.open", times=1, retry_after=1)
    await peer.ask_to_reconnect(old, "warning")
    await logged(caplog, "Socket Mode: could not reconnect (Slack answered ratelimited); trying again in 1.00 s")
    await assert_answered(socket_sender, old)  # the old one still serves meanwhile
    new = await peer.wait_for(newer_than=old, timeout=BACK_WITHIN)
    await assert_answered(socket_sender, new)
    assert not [line for line in herald_log(caplog) if line.startswith("Socket Mode: connection lost")]
