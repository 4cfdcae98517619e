"""The local console answers slash commands through the real app and store, rendered for a terminal."""

from __future__ import annotations

import logging

from sqlmodel import select

from bot.core.db import session_scope
from bot.launches.models import Launch
from bot.runtime.console.markup import Mrkdwn
from bot.runtime.console.workspace import name_of
from tests.support.console_session import demo_console, lines
from tests.support.factories import add_launch


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


def test_mrkdwn_markers_pair_at_word_boundaries_and_nested_ones_leave_no_asterisks():
    render = Mrkdwn(name_of, hyperlinks=False)

    nested = render("*Big *one** and _x_")
    assert nested.plain == "Big one and x"
    assert all(span.style.bold for span in nested.spans if "one" in nested.plain[span.start:span.end])
    assert render("snake_case_name, 2*3*4, a * b * c, *unclosed").plain == "snake_case_name, 2*3*4, a * b * c, *unclosed"
    assert render("[bold red]not styled[/]").spans == []  # rich markup is text here, never markup


async def test_what_a_person_typed_is_shown_as_typed_not_as_entities_or_stray_asterisks(engine, clock):
    console, out = demo_console(engine, clock)
    name = "<!channel> *bold* `code` <https://evil.example|click> [bold red]x[/]"

    await console.run_line(f"/launch new {name}")
    await console.run_line("/launch status")
    await console.run_line("home")
    text = out.getvalue()

    assert f"━━ {name} ━━" in text  # a plain_text header shows the text as typed
    assert "&lt;" not in text and "&gt;" not in text and "&amp;" not in text
    # in the list and the App Home the name sits inside *…*: bold, no asterisk left over
    assert "\n<!channel> bold code <https://evil.example|click> [bold red]x[/] · Planning · not set" in text
    assert "*<!channel>" not in text and "[/]*" not in text
    assert [line for line in text.splitlines() if line != line.rstrip()] == []


async def test_control_characters_are_neither_echoed_nor_printed_nor_sent_to_herald(engine, clock):
    with session_scope(engine) as session:
        add_launch(session, "Stored \x1b]0;title\x07 elsewhere")  # by some other way in; the screen still gets none
    console, out = demo_console(engine, clock, lines("/launch new \x07bell\x1b[31mred", "/launch status"))

    await console.repl()

    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "herald> /launch new bell[31mred\n" in text and "Stored ]0;title elsewhere" in text
    with session_scope(engine) as session:
        assert "bell[31mred" in session.exec(select(Launch.name)).all()  # as Slack would have sent it
