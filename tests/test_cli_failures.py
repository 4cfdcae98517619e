"""The CLI speaks people: an expected failure is one `herald: …` line on stderr and an exit status
(2: the command line or settings; 1: the operation), never a traceback; libraries log only with -v;
commands that need Slack refuse before they record or claim anything when the token is missing."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.core.db import session_scope
from bot.digests.models import Digest, DigestRun
from bot.releases.models import Delivery, DeliveryState, Release
from bot.releases.recording import subscribe
from bot.runtime.cli import main
from tests.support.fake_slack import FakeSlack
from tests.support.replicas import free_port


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No .env, no Slack variables and no store from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
                 "HERALD_ADMINS", "HERALD_TEMPLATES_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield
    logging.getLogger().setLevel(logging.WARNING)  # as -v left it otherwise


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.rstrip("\n")


# The store


def test_an_unreachable_postgresql_is_one_line_with_the_short_reason(monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://herald:secret@127.0.0.1:{port}/herald")

    assert main(["migrate"]) == 1

    assert one_line(capsys.readouterr().err) == \
        f"herald: cannot reach the database at postgresql+psycopg://herald:***@127.0.0.1:{port}/herald: connection refused"


def test_a_sqlite_file_in_a_missing_folder_names_the_folder(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/nowhere/herald.db")

    assert main(["migrate"]) == 1

    assert one_line(capsys.readouterr().err) == (
        f"herald: cannot open the database at sqlite:///{tmp_path}/nowhere/herald.db: "
        f"the folder {tmp_path}/nowhere does not exist")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_a_sqlite_file_in_a_read_only_folder_says_herald_cannot_write_there(monkeypatch, capsys, tmp_path):
    (tmp_path / "locked").mkdir(mode=0o500)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/locked/herald.db")

    assert main(["migrate"]) == 1

    assert one_line(capsys.readouterr().err).endswith(f"Herald cannot write to the folder {tmp_path}/locked")


def test_a_sqlite_url_naming_a_file_that_is_not_a_database_says_so(monkeypatch, capsys, tmp_path):
    (tmp_path / "notes.db").write_text("shopping list\n" * 200)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/notes.db")

    assert main(["migrate"]) == 1

    assert one_line(capsys.readouterr().err) == f"herald: {tmp_path}/notes.db is not a SQLite database"


def test_a_sqlite_url_naming_a_folder_says_it_is_a_folder(monkeypatch, capsys, tmp_path):
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/data")

    assert main(["migrate"]) == 1

    assert one_line(capsys.readouterr().err) == f"herald: {tmp_path}/data is a folder, not a database file"


def test_a_sqlite_file_under_a_file_names_the_file_in_the_way(monkeypatch, capsys, tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/plain/sub/herald.db")

    assert main(["migrate"]) == 1

    assert one_line(capsys.readouterr().err) == (
        f"herald: cannot open the database at sqlite:///{tmp_path}/plain/sub/herald.db: "
        f"{tmp_path}/plain is a file, not a folder")


def test_an_unusable_xdg_data_home_names_the_default_stores_folder_and_how_to_choose_another(
        monkeypatch, capsys, tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "plain"))

    assert main(["migrate"]) == 2

    assert one_line(capsys.readouterr().err) == (
        f"herald: cannot make the folder for Herald's default store, {tmp_path}/plain/herald: "
        f"{tmp_path}/plain is a file, not a folder; set DATABASE_URL to choose another store")


def test_commands_that_open_the_store_name_it_once_on_stderr(monkeypatch, capsys, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["export", "launches"]) == 0

    err = capsys.readouterr().err
    assert err.count("herald: using the store at ") == 1
    assert err.strip().endswith(database_url.split("@")[-1])


# Files and tokens


def test_a_missing_notes_file_is_named_and_nothing_is_recorded(monkeypatch, capsys, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["release", "announce", "--component", "billing", "--version", "1.0.0", "--no-wait",
                 "--notes-file", "nosuch.md"]) == 1

    assert one_line(capsys.readouterr().err) == "herald: nosuch.md: No such file or directory"
    with Session(engine) as session:
        assert session.exec(select(Release)).all() == []


def test_announcing_without_a_token_refuses_before_recording(monkeypatch, capsys, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["release", "announce", "--component", "billing", "--version", "1.0.0"]) == 2

    assert one_line(capsys.readouterr().err) == (
        "herald: SLACK_BOT_TOKEN is not set: announcing needs Slack. Set it, or pass --no-wait to record the "
        "release for a running Herald to announce.")
    with Session(engine) as session:
        assert session.exec(select(Release)).all() == []


def test_recording_with_no_wait_needs_no_token(monkeypatch, capsys, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["release", "announce", "--component", "billing", "--version", "1.0.0", "--no-wait"]) == 0

    assert "a running Herald announces it" in capsys.readouterr().out
    with Session(engine) as session:
        assert [r.version for r in session.exec(select(Release))] == ["1.0.0"]


def test_a_component_close_to_a_known_one_is_refused_unless_new_component_says_it_is_meant(
        monkeypatch, capsys, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["release", "announce", "--component", "Billing", "--version", "1.0.0", "--no-wait"]) == 0
    capsys.readouterr()

    assert main(["release", "announce", "--component", "biling", "--version", "1.1.0", "--no-wait"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "herald: I don't know a component “biling”. Did you mean Billing? "
        "Pass --new-component to record it under “biling” anyway.")
    assert main(["release", "announce", "--component", "biling", "--version", "1.1.0", "--no-wait",
                 "--new-component"]) == 0
    assert main(["release", "announce", "--component", "billing", "--version", "1.2.0", "--no-wait"]) == 0

    with Session(engine) as session:
        assert sorted((r.component, r.version) for r in session.exec(select(Release))) == [
            ("biling", "1.1.0"), ("billing", "1.0.0"), ("billing", "1.2.0")]


def test_running_digests_without_a_token_refuses_and_claims_nothing(monkeypatch, capsys, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)
    with Session(engine) as session:
        session.add(Digest(channel_id="C0LAUNCHES", cron="0 9 * * *", timezone="UTC", always=True,
                           created_by="U0ANN", created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        session.commit()

    assert main(["digest", "run", "--now"]) == 2

    assert one_line(capsys.readouterr().err).startswith(
        "herald: SLACK_BOT_TOKEN is not set: posting digests needs Slack.")
    with Session(engine) as session:
        assert session.exec(select(DigestRun)).all() == []


def test_a_missing_owners_file_is_a_usage_error(capsys):
    assert main(["import", "owners", "no-such-owners.yaml"]) == 2
    assert one_line(capsys.readouterr().err) == "herald: no such file or folder: no-such-owners.yaml"


def test_an_announcement_time_without_a_zone_is_a_usage_error(capsys):
    assert main(["release", "announce", "--component", "billing", "--version", "1", "--at", "2026-12-01T09:00"]) == 2
    assert one_line(capsys.readouterr().err) == "herald: --at needs a time zone, like 2026-12-01T09:00:00+01:00"


def test_an_announcement_time_in_the_past_is_refused_and_nothing_is_recorded(monkeypatch, capsys, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["release", "announce", "--component", "billing", "--version", "1", "--no-wait",
                 "--at", "2019-01-01T09:00+01:00"]) == 2

    assert one_line(capsys.readouterr().err) == (
        "herald: --at 2019-01-01T09:00:00+01:00 is in the past; leave --at out to announce now")
    with Session(engine) as session:
        assert session.exec(select(Release)).all() == []


# Announcing when Slack does not answer


def subscribed(engine, *channels: str) -> None:
    with session_scope(engine) as session:
        for channel in channels:
            subscribe(session, channel_id=channel, spec="billing", prereleases=False, actor_id="U0ANN")


def deliveries(engine) -> list[tuple[str, DeliveryState, str | None]]:
    with Session(engine) as session:
        return [(d.channel_id, d.state, d.lease_token)
                for d in session.exec(select(Delivery).order_by(Delivery.channel_id))]


def test_announcing_when_slack_cannot_be_reached_ends_at_once_and_leaves_the_release_to_a_running_herald(
        monkeypatch, capsys, database_url, engine):
    subscribed(engine, "C0PAYMENTS")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{free_port()}/api/")
    started = time.monotonic()

    assert main(["release", "announce", "--component", "billing", "--version", "9.9", "--new-component"]) == 1

    assert time.monotonic() - started < 5
    with Session(engine) as session:
        [release] = session.exec(select(Release)).all()
    assert capsys.readouterr().out == (
        f"herald: recorded release {release.id}; sent in 0 channels, 1 not confirmed yet (Slack did not answer): "
        "a running Herald finishes them\n")
    assert deliveries(engine) == [("C0PAYMENTS", DeliveryState.UNCERTAIN, None)]  # not sent, and no lease held


async def test_announcing_when_slack_asks_to_wait_sends_the_rest_and_says_what_is_left(
        monkeypatch, capsys, database_url, engine, slack: FakeSlack):
    subscribed(engine, "C0LAUNCHES", "C0GENERAL")
    slack.rate_limit("chat.postMessage", retry_after=60)
    for name, value in {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": slack.bot_token,
                        "SLACK_API_URL": slack.base_url}.items():
        monkeypatch.setenv(name, value)

    code = await asyncio.to_thread(main, ["release", "announce", "--component", "billing", "--version", "2.0",
                                          "--new-component"])

    assert code == 1
    assert capsys.readouterr().out.endswith(
        "; sent in 1 channel, 1 to try again (Slack refused for now): a running Herald finishes them\n")
    assert sorted((state, lease) for _, state, lease in deliveries(engine)) == [
        (DeliveryState.PENDING, None), (DeliveryState.SENT, None)]


async def test_announcing_to_every_subscriber_says_how_many_channels(monkeypatch, capsys, database_url, engine,
                                                                     slack: FakeSlack):
    subscribed(engine, "C0LAUNCHES")
    for name, value in {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": slack.bot_token,
                        "SLACK_API_URL": slack.base_url}.items():
        monkeypatch.setenv(name, value)

    code = await asyncio.to_thread(main, ["release", "announce", "--component", "billing", "--version", "2.0",
                                          "--new-component"])

    assert code == 0
    assert capsys.readouterr().out.endswith(" in 1 channel\n")
    assert deliveries(engine) == [("C0LAUNCHES", DeliveryState.SENT, None)]


# Logging


def test_library_logs_stay_hidden_unless_verbose(caplog):
    assert main(["migrate"]) == 0
    assert not [r for r in caplog.records if r.name.startswith("alembic")]

    assert main(["-v", "migrate"]) == 0
    assert any(r.name.startswith("alembic") and "Context impl" in r.getMessage() for r in caplog.records)


def test_a_port_in_use_names_the_port_and_what_to_do(monkeypatch, capsys, tmp_path):
    """It was "[Errno 98] error while attempting to bind on address …" and exit 1."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("PORT", str(port))
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test-token")
        monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{free_port()}/api/")
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'herald.db'}")
        assert main(["socket"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"herald: port {port} is already in use: set PORT to a free one (herald socket --no-http serves nothing on it)")
