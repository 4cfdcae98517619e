"""The local console answers slash commands through the real app and store, as readable text."""

from __future__ import annotations

import io

from bot.core.db import session_scope
from bot.core.settings import load_settings
from bot.runtime.app import make_herald
from bot.runtime.console import Console, ConsoleWebClient
from bot.runtime.demo import seed_demo


async def test_console_shows_status_and_prints_what_would_be_posted(engine, clock, caplog):
    out = io.StringIO()
    herald = make_herald(load_settings({}), engine, clock=clock, slack=ConsoleWebClient(out))
    with session_scope(engine) as session:
        seed_demo(session, today=herald.today())
    console = Console(herald, out=out)

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
    assert "━━ Billing API ━━" in text and "*Primary*: @ben" in text
    assert "Search indexer — finn is deactivated" in text
    assert "Herald has no /nonsense command." in text
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []  # the contact re-check too
