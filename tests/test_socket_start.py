"""How `herald socket` starts: a token Slack refuses ends it in one line; an unreachable Slack is waited for."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from tests.support.fake_slack import FakeSlack
from tests.support.replicas import free_port


async def run_socket(slack_api_url: str, tmp_path, *, app_token: str, seconds: float,
                     until_connected: FakeSlack | None = None) -> tuple[int, str]:
    """`herald socket --no-http` in a process of its own; SIGTERM after `seconds` (or once connected)."""
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": app_token,
           "SLACK_API_URL": slack_api_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'herald.db'}"}
    process = subprocess.Popen([sys.executable, "-m", "bot.runtime.cli", "socket", "--no-http"], env=env,
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if until_connected is not None:
            await until_connected.socket_mode.wait_for(1, timeout=seconds)
        else:
            for _ in range(int(seconds * 10)):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(process.communicate, timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, err


async def test_an_app_token_slack_refuses_ends_herald_socket_in_one_line(tmp_path):
    async with FakeSlack() as slack:
        status, err = await run_socket(slack.base_url, tmp_path, app_token="xapp-revoked", seconds=10)
    assert status == 2
    assert "herald: Slack refused SLACK_APP_TOKEN (invalid_auth): use the app-level token" in err
    assert "Traceback" not in err
    assert slack.socket_mode.connections == []


async def test_slack_unreachable_at_start_is_waited_for_one_line_a_try(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/api/"
    status, err = await run_socket(closed, tmp_path, app_token="xapp-test-token", seconds=6)
    assert status == 0  # SIGTERM while waiting is a clean stop
    tries = [line for line in err.splitlines() if "Socket Mode: could not connect (Slack unreachable" in line]
    assert len(tries) >= 2  # after ~2.4 s of the bot token check trying; then 0.25 s, 0.5 s, … between tries
    assert "Traceback" not in err


async def test_herald_socket_says_when_it_is_connected_and_stops_cleanly(tmp_path):
    async with FakeSlack() as slack:
        status, err = await run_socket(slack.base_url, tmp_path, app_token=slack.app_token, seconds=20,
                                       until_connected=slack)
    assert status == 0
    assert "Socket Mode: connected" in err
    assert "Traceback" not in err and "Unclosed client session" not in err


async def test_a_bot_token_slack_refuses_ends_herald_socket_in_one_line(tmp_path):
    """It used to connect, say healthy, and answer every command "please reinstall this app"."""
    async with FakeSlack(bot_token="xoxb-another-token") as slack:
        status, err = await run_socket(slack.base_url, tmp_path, app_token=slack.app_token, seconds=10)
    assert status == 2
    assert "herald: Slack refused SLACK_BOT_TOKEN (invalid_auth): use the Bot User OAuth Token" in err
    assert "Traceback" not in err
    assert slack.socket_mode.connections == []
