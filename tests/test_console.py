"""The local console answers slash commands through the real app and store, rendered for a terminal."""

from __future__ import annotations

import logging

from bot.runtime.console.markup import Mrkdwn
from bot.runtime.console.workspace import name_of
from tests.support.console_session import demo_console, lines


async def test_console_shows_status_and_prints_what_would_be_posted(engine, clock, caplog):
    console, out = demo_console(engine, clock)

    await console.run_line("/launch status")
    await console.run_line("/launch set checkout v2 owner @devon")
    await console.run_line("/whoowns biling")
    await console.run_line("/whoowns stale")
    await console.run_line("/nonsense")
    text = out.getvalue()

    assert "━━ Active launches (7) ━━" in text
    assert "🔴 Blocked: Waiting on the sync API from the platform team" in text
    assert "owner: @ben → @devon" in text
    assert "── posted to #payments (in thread) ──" in text
    assert "━━ Billing API ━━" in text and "Primary: @ben" in text
    assert "Search indexer — finn is deactivated" in text
    assert "Herald has no /nonsense command." in text
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []  # the contact re-check too


async def test_slack_markup_is_rendered_not_printed_raw(engine, clock):
    console, out = demo_console(engine, clock)

    await console.run_line("/launch status checkout v2")
    await console.run_line("/whoowns billing")
    text = out.getvalue()

    assert "Stage: Beta" in text and "Owner: @ben" in text
    assert "*Stage*" not in text and "`" not in text and "<@" not in text and ":white_check_mark:" not in text
    assert "✅ 1. Docs and release notes ready" in text
    assert "Runbook (https://wiki.example.com/runbooks/billing-api)" in text  # a link, when not at a terminal
    assert "\x1b[" not in text  # piped output has no escape codes


async def test_a_shared_reply_is_shown_as_posted_in_the_channel(engine, clock):
    console, out = demo_console(engine, clock)

    await console.run_line("/launch status checkout v2")
    only_me = out.getvalue()
    await console.run_line("/launch status checkout v2 --share")
    shared = out.getvalue()[len(only_me):]

    assert only_me.splitlines()[0] == "── only you can see this ──"
    assert shared.splitlines()[0] == "── shared in #console ──"
    assert "━━ Checkout v2 ━━" in shared


async def test_an_unknown_command_gets_one_line_and_no_developer_hint(engine, clock, caplog):
    console, out = demo_console(engine, clock)
    caplog.set_level(logging.DEBUG, logger="slack_bolt")

    await console.run_line("/foo")

    assert out.getvalue() == "Herald has no /foo command.\n"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_ctrl_c_clears_the_line_and_the_console_carries_on_until_end_of_input(engine, clock):
    console, out = demo_console(engine, clock, lines("^C", "/launch status", "^C"))

    await console.repl()  # returns at the end of input, as Ctrl-D does

    text = out.getvalue()
    assert "━━ Active launches (7) ━━" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert text.endswith("herald> \n")


async def test_exit_quits_before_the_rest_of_the_input(engine, clock):
    console, out = demo_console(engine, clock, lines("exit", "/launch status"))

    await console.repl()

    assert "Active launches" not in out.getvalue()


def test_mrkdwn_becomes_styled_terminal_text_with_real_hyperlinks_at_a_terminal():
    text = Mrkdwn(name_of, hyperlinks=True)("*Owner* <@U0DEMOBEN> in <#C0DEMOPAY|payments>: see <https://x.test/a|_the runbook_> "
                                            "`a &lt;b&gt;` :large_green_circle:")

    assert text.plain == "Owner @ben in #payments: see the runbook a <b> 🟢"
    styles = {text.plain[span.start:span.end]: span.style for span in text.spans}
    assert styles["Owner"].bold and styles["the runbook"].italic and styles["the runbook"].link == "https://x.test/a"
    assert styles["@ben"].bold and styles["a <b>"].color.name == "cyan"
