"""Herald's servers as real processes against the fake Slack: `herald serve` and `herald socket` replicas.

Replicas share a store only on PostgreSQL (SQLite serves one process), and each gets its own port, so each
has its own instance id (host and port, as in production) and its own outbox leases.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.core.db import session_scope
from bot.core.settings import load_settings
from bot.digests.schedules import Schedule
from bot.digests.service import set_digest
from bot.releases.recording import ReleaseInput, record_release, subscribe
from tests.support.fake_slack import FakeSlack
from tests.support.harness import BOT_TOKEN
from tests.support.slack_requests import SIGNING_SECRET

MODES = {"serve": ["serve"], "socket": ["socket", "--no-http"]}  # how Slack reaches the process: HTTP or Socket Mode


def free_port() -> int:
    """A port nothing listens on: the OS hands it out, and it is closed again at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def needs_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several replicas share one PostgreSQL database; SQLite serves a single process")


class Replica(subprocess.Popen[bytes]):
    """One Herald server process, with the instance id its leases carry and the file its stderr goes to.

    A file rather than a pipe: a pipe nobody reads fills up and stops a process that logs (Socket Mode logs
    every reconnect), and a file can be read while the process runs.
    """

    def __init__(self, mode: str, env: dict[str, str], workdir: Path) -> None:
        self.instance = load_settings(env).instance_id
        self.log = workdir / f"herald-{mode}-{env['PORT']}.log"
        with self.log.open("wb") as stderr:
            super().__init__([sys.executable, "-m", "bot.runtime.cli", *MODES[mode]], env=env, cwd=workdir,
                             stdout=subprocess.DEVNULL, stderr=stderr)

    def logged(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_replica(database_url: str, slack: FakeSlack, workdir: Path, *, mode: str = "serve",
                  port: int | None = None) -> Replica:
    """`herald serve` or `herald socket --no-http` in a process of its own; its instance id is the host and `port`."""
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.base_url,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": str(port or free_port())}
    env.pop("HERALD_INSTANCE_ID", None)
    if mode == "socket":
        env["SLACK_APP_TOKEN"] = slack.app_token
    else:
        env.pop("SLACK_APP_TOKEN", None)
    return Replica(mode, env, workdir)


async def wait_for(condition: Callable[[], object], replicas: list[Replica], *, seconds: float = 30) -> bool:
    """Whether `condition` came true within `seconds`; a replica that exits meanwhile fails the test with its log."""
    for _ in range(int(seconds * 10)):
        if condition():
            return True
        for replica in replicas:
            assert replica.poll() is None, f"{replica.args} exited with {replica.returncode}:\n{replica.logged()}"
        await asyncio.sleep(0.1)
    return bool(condition())


async def stop(replicas: list[Replica], *, within: float = 10) -> None:
    """SIGTERM to each, then wait off the loop: the fake Slack they are still talking to runs on it.

    One still running after `within` seconds is killed and fails the test: SIGTERM is how replicas are stopped.
    """
    for replica in replicas:
        replica.terminate()
    late = []
    for replica in replicas:
        try:
            await asyncio.to_thread(replica.wait, within)
        except subprocess.TimeoutExpired:
            replica.kill()
            late.append(replica)
    assert not late, f"still running {within:g} s after SIGTERM: {[replica.args for replica in late]}"


def subscribe_channels(engine: Engine, slack: FakeSlack, channels: list[str]) -> None:
    """`channels` subscribed to billing's releases: each is owed one announcement, however many replicas run."""
    with session_scope(engine) as session:
        for channel in channels:
            slack.add_channel(channel, channel.lower())
            subscribe(session, channel_id=channel, spec="billing", prereleases=False, actor_id="U0ANN")


def record_billing_release(engine: Engine, version: str) -> None:
    with session_scope(engine) as session:
        record_release(session, ReleaseInput(component="billing", version=version, source="cli"),
                       now=datetime.now(UTC))


async def digest_due_at_start(engine: Engine, slack: FakeSlack, channel: str) -> None:
    """An hourly digest for `channel`, so that one is due within the grace period whenever replicas start;
    in the last 40 s of an hour this waits for the next, so that every replica sees the same hour as due."""
    slack.add_channel(channel, channel.lower())
    with session_scope(engine) as session:
        set_digest(session, channel_id=channel, personal=False, schedule=Schedule("0 * * * *", "UTC"),
                   filters={}, always=True, actor_id="U0ANN")
    now = datetime.now(UTC)
    if now.minute == 59 and now.second > 20:
        await asyncio.sleep(61 - now.second)
