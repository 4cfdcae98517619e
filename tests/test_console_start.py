"""Starting the console: which store it uses, where problems go, and what Tab completes."""

from __future__ import annotations

import io
import logging
import os
import socket
import sys
from typing import TextIO

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.data_structures import Size
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output
from sqlmodel import select

from bot.core.db import session_scope, shown_url
from bot.core.models import utcnow
from bot.core.settings import load_settings
from bot.directory.models import Component
from bot.handlers.launches import SUBCOMMANDS
from bot.launches.models import Launch
from bot.releases.models import Delivery
from bot.releases.recording import ReleaseInput, fan_out, record_release, subscribe
from bot.runtime.console.completion import HeraldCompleter
from bot.runtime.console.readers import TerminalReader, terminal_output
from bot.runtime.console.start import run_console
from bot.runtime.demo import CONSOLE_USER
from tests.support.console_session import demo_console
from tests.support.factories import add_launch


@pytest.fixture
def root_logging():
    """run_console takes over the root logger (as `herald console` should); put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_console_without_database_url_seeds_its_own_demo_store_and_never_the_default_one(tmp_path, monkeypatch,
                                                                                       capsys, root_logging):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "stdin", io.StringIO("/launch status\n/foo\n"))
    logging.getLogger("alembic").info("a line for the log file only")
    settings = load_settings({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")})

    assert run_console(settings) == 0

    shown = capsys.readouterr()
    demo_store, log_file = tmp_path / "data" / "herald" / "demo.db", tmp_path / "state" / "herald" / "console.log"
    assert f"Using the demo store at sqlite:///{demo_store}; loaded 8 demo launches." in shown.out
    assert f"Problems are logged to {log_file}" in shown.out
    assert "Checkout v2" in shown.out and "Herald has no /foo command." in shown.out
    assert "INFO" not in shown.out + shown.err and "Traceback" not in shown.out + shown.err
    assert "alembic.runtime.migration" in log_file.read_text()
    assert not settings.default_store.exists()  # the server's store: never made, never seeded by the console


def test_console_on_a_real_store_adds_no_demo_and_leaves_announcements_pending(database_url, engine, tmp_path,
                                                                                monkeypatch, capsys, root_logging):
    with session_scope(engine) as session:
        subscribe(session, channel_id="C0REALPROD", spec="all", prereleases=False, actor_id="U0REAL")
        release = record_release(session, ReleaseInput(component="payroll", version="2.0", source="cli",
                                                       notes="Faster payslips"), now=utcnow())
        fan_out(session, release)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("/launch status\n"))

    assert run_console(load_settings({"DATABASE_URL": database_url})) == 0

    shown = capsys.readouterr().out
    assert f"Using the store at {shown_url(database_url)} (DATABASE_URL)." in shown
    assert ("This is your real store: announcements and digests are left for a running Herald to send, and launch "
            "updates made here are recorded but not posted in Slack.") in shown
    assert "`herald seed` adds the demo ones" in shown
    assert "posted to" not in shown and "demo launches" not in shown
    with session_scope(engine) as session:
        assert [d.state for d in session.exec(select(Delivery)).all()] == ["pending"]
        assert session.exec(select(Launch)).all() == []
        assert session.exec(select(Component)).all() == []


def test_a_launch_changed_from_the_console_on_a_real_store_keeps_no_thread_slack_never_saw(
        database_url, engine, tmp_path, monkeypatch, capsys, root_logging):
    with session_scope(engine) as session:
        add_launch(session, "Lynx", owner=CONSOLE_USER, channel="C0REALPROD")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("/launch set lynx stage beta\n"))

    assert run_console(load_settings({"DATABASE_URL": database_url})) == 0

    shown = capsys.readouterr().out
    assert "not posted to C0REALPROD: the console does not reach Slack" in shown and "posted to C0REALPROD" not in (
        shown.replace("not posted to C0REALPROD", ""))
    with session_scope(engine) as session:
        lynx = session.exec(select(Launch)).one()
        assert (lynx.stage, lynx.thread_ts) == ("beta", None)


def test_an_unreachable_store_is_one_line_worded_as_the_other_commands_word_it(tmp_path, monkeypatch, capsys,
                                                                               root_logging):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    assert run_console(load_settings({"DATABASE_URL": f"postgresql://herald@127.0.0.1:{port}/x"})) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"herald: cannot reach the database at postgresql+psycopg://herald@127.0.0.1:{port}/x: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_store_password_is_never_shown():
    assert shown_url("postgresql+psycopg://ann:secret@db/herald") == "postgresql+psycopg://ann:***@db/herald"


def completions(completer: HeraldCompleter, typed: str) -> list[str]:
    return [c.text for c in completer.get_completions(Document(typed), CompleteEvent(completion_requested=True))]


async def test_tab_completes_commands_subcommands_names_people_and_channels(engine, clock):
    demo_console(engine, clock)  # the demo store
    completer = HeraldCompleter(engine)
    completer.refresh()

    assert completions(completer, "/la") == ["/launch"]
    assert completions(completer, "/launch ") == list(SUBCOMMANDS)
    assert completions(completer, "/launch status chec") == ["Checkout v2"]
    assert completions(completer, "/launch release bil") == ["Billing portal", "Billing API"]
    assert completions(completer, "/whoowns team pay") == ["Payments"]
    assert completions(completer, "/launch set checkout v2 owner @d") == ["@devon"]
    assert completions(completer, "/launch new Trial #pay") == ["#payments"]


async def test_a_form_answer_at_a_terminal_starts_empty_and_the_prompt_shows_the_current_value():
    screen = io.StringIO()
    with create_pipe_input() as keys:
        reader = TerminalReader(HeraldCompleter(None), input=keys,
                                output=Vt100_Output(screen, lambda: Size(24, 100), term="xterm"))
        answers = []
        for typed in ("3\r", "\r", "-\r"):  # a menu option's number, Enter, the clear sign
            keys.send_text(typed)
            answers.append(await reader.read("  > ", default="Planning"))

    assert answers == ["3", "Planning", "-"]  # not "Planning3": the current value is not in the editing buffer
    assert "  > [Planning; Enter keeps it, - clears it] " in screen.getvalue()


async def test_the_terminal_is_never_asked_for_the_cursor_position_so_no_cpr_warning_can_show(engine):
    master, tty = pseudo_terminal()
    with tty, create_pipe_input() as keys:
        reader = TerminalReader(HeraldCompleter(engine), input=keys, output=terminal_output(tty))
        keys.send_text("/launch status\r")
        assert await reader.command("herald> ") == "/launch status"
        written = os.read(master, 65536)
    os.close(master)

    assert b"herald>" in written and b"\x1b[6n" not in written  # the request a silent terminal leaves unanswered


def pseudo_terminal() -> tuple[int, TextIO]:
    """A terminal for the console to write to, and the other end to read what it wrote."""
    master, child = os.openpty()
    os.set_blocking(master, False)
    return master, open(child, "w")  # the caller closes it
