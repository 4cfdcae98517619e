"""In the console, buttons are pressed by their number and modals are filled in field by field, all through the
real Bolt app: block_actions and view_submission payloads shaped as Slack sends them."""

from __future__ import annotations

from sqlmodel import select

from bot.core.db import session_scope
from bot.launches.models import Launch
from bot.releases.models import Release
from tests.support.console_session import demo_console, lines

RELEASE_FORM = ("Faster invoices", "Invoices render *twice* as fast.", "", "enterprise")  # title, notes (ends at ""), tags


async def test_a_did_you_mean_button_is_numbered_and_pressing_it_shows_the_launch(engine, clock):
    console, out = demo_console(engine, clock)

    await console.run_line("/launch status chekout")
    assert "[1 Checkout v2]" in out.getvalue()
    await console.run_line("1")

    pressed = out.getvalue().split("[1 Checkout v2]")[1]
    assert "── only you can see this (replacing the message above) ──" in pressed
    assert "━━ Checkout v2 ━━" in pressed and "Stage: Beta" in pressed


async def test_a_number_with_no_button_says_so(engine, clock):
    console, out = demo_console(engine, clock)

    await console.run_line("3")

    assert out.getvalue() == "There is no button 3 on the screen.\n"


async def test_release_form_filled_in_field_by_field_records_and_announces_the_release(engine, clock):
    console, out = demo_console(engine, clock, lines(*RELEASE_FORM, "https://example.com/notes", "", "", ""))
    await console.run_line("/launch subscribe releases billing")

    await console.run_line("/launch release billing 1.4.0")

    text = out.getvalue()
    assert "── form: Record a release ──" in text and "When *" in text and "  1. Announce now" in text
    assert "Recorded Billing API 1.4.0; announcing it now in 1 subscribed channel." in text
    announcement = text.split("── posted to #console ──")[1]
    assert "━━ Billing API 1.4.0 ━━" in announcement and "Invoices render twice as fast." in announcement
    with session_scope(engine) as session:
        release = session.exec(select(Release)).one()
    assert (release.title, release.link, release.tags) == ("Faster invoices", "https://example.com/notes",
                                                           ["enterprise"])


async def test_a_field_herald_rejects_is_asked_again_with_the_reason(engine, clock):
    script = lines(*RELEASE_FORM, "not a url", "", "", "", "https://example.com/notes", "")
    console, out = demo_console(engine, clock, script)

    await console.run_line("/launch release billing 1.4.0")

    text = out.getvalue()
    assert "✗ “not a url” is not a link: give an http(s) URL." in text
    assert text.count("Link to the full notes") == 2 and text.count("Title") == 1  # only the wrong field again
    assert "Recorded Billing API 1.4.0" in text


async def test_the_preview_button_inside_the_release_form_shows_the_announcement(engine, clock):
    console, out = demo_console(engine, clock, lines(*RELEASE_FORM, "", "", "", "1", "^C"))

    await console.run_line("/launch release billing 1.4.0")

    preview = out.getvalue().split("Preview of the announcement:")[1]
    assert "━━ Billing API 1.4.0 ━━" in preview and "Faster invoices" in preview


async def test_ctrl_c_in_a_form_cancels_it_and_records_nothing(engine, clock):
    console, out = demo_console(engine, clock, lines("Faster invoices", "", "^C", "/launch status"))

    await console.run_line("/launch release billing 1.4.0")
    await console.repl()

    text = out.getvalue()
    assert "Form cancelled; nothing was sent." in text and "━━ Active launches (7) ━━" in text
    with session_scope(engine) as session:
        assert session.exec(select(Release)).all() == []


async def test_the_update_button_on_the_app_home_opens_a_form_that_changes_the_launch(engine, clock):
    console, out = demo_console(engine, clock, lines("ready", "blocked", "Legal review pending", ""),
                                user_id="U0DEMOBEN")
    with session_scope(engine) as session:
        checkout = session.exec(select(Launch).where(Launch.key == "checkout-v2")).one()

    await console.run_line("home")
    number = next(n for n, button in console.screen.buttons.items() if button.element["value"] == str(checkout.id))
    await console.run_line(str(number))

    text = out.getvalue()
    assert "── your App Home, ben ──" in text and "── form: Update launch ──" in text
    assert "  > [beta; Enter keeps it, - clears it] ready" in text
    thread = text.split("── posted to #payments (in thread) ──")[1]
    assert "stage: beta → ready" in thread and "risk reason: Payment provider certification" in thread
    with session_scope(engine) as session:
        assert session.get(Launch, checkout.id).stage == "ready"


async def test_an_announcement_shows_its_title_bold_without_asterisks_and_markdown_lines_unpadded(engine, clock):
    form = ("Big *one*", "## What changed", "- Invoices render **twice** as fast", "", "", "", "", "", "")
    console, out = demo_console(engine, clock, lines(*form))
    await console.run_line("/launch subscribe releases billing")

    await console.run_line("/launch release billing 1.4.0")

    announcement = out.getvalue().split("── posted to #console ──")[1]
    assert "\nBig one\n" in announcement and "• Invoices render twice as fast" in announcement
    assert [line for line in announcement.splitlines() if line != line.rstrip()] == []


async def test_the_console_user_owns_a_demo_launch_so_their_app_home_has_an_update_button(engine, clock):
    console, out = demo_console(engine, clock, lines("ready", "", "", ""))

    await console.run_line("home")
    update = next(n for n, button in console.screen.buttons.items() if button.label == "Update")
    await console.run_line(str(update))

    text = out.getvalue()
    assert "── your App Home, ava ──" in text and "Pricing page refresh" in text.split("Update]")[0]
    assert "── form: Update launch ──" in text and "stage: beta → ready" in text


async def test_ctrl_d_in_a_form_discards_it_says_so_and_quits(engine, clock):
    console, out = demo_console(engine, clock, lines("/launch release billing 1.4.0", "Faster invoices"))

    await console.repl()  # the input ends inside the form, as Ctrl-D there does

    assert out.getvalue().endswith("Form discarded; nothing was sent.\n")
    with session_scope(engine) as session:
        assert session.exec(select(Release)).all() == []
