"""How `herald socket` starts: a token Slack refuses ends it in one line; an unreachable Slack is waited for."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from tests.support.fake_slack import FakeSlack
from tests.support.replicas import free_port


async def run_socket(slack_api_url: str, tmp_path, *, app_token: str, until: Callable[[str], bool] = lambda _: False,
                     seconds: float = 30) -> tuple[int, str]:
    """`herald socket --no-http` in a process of its own, SIGTERMed once what it logged satisfies `until` (or after
    `seconds`) unless it ended by itself: its exit status and all it logged."""
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": app_token,
           "SLACK_API_URL": slack_api_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'herald.db'}"}
    logged = tmp_path / "herald.log"
    with logged.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "bot.runtime.cli", "socket", "--no-http"], env=env,
                                   cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        deadline = time.monotonic() + seconds
        while process.poll() is None and not until(logged.read_text()) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 15)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, logged.read_text()


async def test_an_app_token_slack_refuses_ends_herald_socket_in_one_line(tmp_path):
    async with FakeSlack() as slack:
        status, err = await run_socket(slack.base_url, tmp_path, app_token="xapp-revoked")
    assert status == 2
    assert "herald: Slack refused SLACK_APP_TOKEN (invalid_auth): use the app-level token" in err
    assert "Traceback" not in err
    assert slack.socket_mode.connections == []


async def test_slack_unreachable_at_start_is_waited_for_one_line_a_try(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/api/"
    status, err = await run_socket(closed, tmp_path, app_token="xapp-test-token",
                                   until=lambda logged: logged.count("could not connect (Slack unreachable") >= 2)
    assert status == 0  # SIGTERM while waiting is a clean stop
    tries = [line for line in err.splitlines() if "Socket Mode: could not connect (Slack unreachable" in line]
    assert len(tries) >= 2
    assert "Traceback" not in err


async def test_herald_socket_says_when_it_is_connected_and_stops_cleanly(tmp_path):
    async with FakeSlack() as slack:
        status, err = await run_socket(slack.base_url, tmp_path, app_token=slack.app_token,
                                       until=lambda logged: "Socket Mode: connected" in logged)
    assert status == 0
    assert "Socket Mode: connected" in err
    assert "Traceback" not in err and "Unclosed client session" not in err


async def test_a_bot_token_slack_refuses_ends_herald_socket_in_one_line(tmp_path):
    """It used to connect, say healthy, and answer every command "please reinstall this app"."""
    async with FakeSlack(bot_token="xoxb-another-token") as slack:
        status, err = await run_socket(slack.base_url, tmp_path, app_token=slack.app_token)
    assert status == 2
    assert "herald: Slack refused SLACK_BOT_TOKEN (invalid_auth): use the Bot User OAuth Token" in err
    assert "Traceback" not in err
    assert slack.socket_mode.connections == []
