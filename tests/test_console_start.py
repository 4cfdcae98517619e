"""Starting the console: which store it uses, where problems go, and what Tab completes."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from bot.core.db import shown_url
from bot.core.settings import load_settings
from bot.handlers.launches import SUBCOMMANDS
from bot.runtime.console.completion import HeraldCompleter
from bot.runtime.console.start import run_console
from tests.support.console_session import demo_console


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


def test_console_says_which_store_it_uses_and_sends_logs_to_a_file(database_url, engine, tmp_path, monkeypatch,
                                                                    capsys, root_logging):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("/launch status\n/foo\n"))
    logging.getLogger("alembic").info("a line for the log file only")

    assert run_console(load_settings({"DATABASE_URL": database_url})) == 0

    shown = capsys.readouterr()
    log_file = tmp_path / "herald" / "console.log"
    assert f"Using the store at {shown_url(database_url)}; loaded 8 demo launches." in shown.out
    assert f"Problems are logged to {log_file}" in shown.out
    assert "Checkout v2" in shown.out and "Herald has no /foo command." in shown.out
    assert "INFO" not in shown.out + shown.err and "Traceback" not in shown.out + shown.err
    assert "alembic.runtime.migration" in log_file.read_text()


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
