"""Weekly digests say how we're shipping (the insights of the last 30 days), unless set up with `-insights`.

Over the history of tests/test_insights.py, on the clock's day (Wednesday 25 November 2026, Berlin):
the last 30 days are 27 October to 25 November, the 30 before them 27 September to 26 October.

    last 30 days:  Charlie (31 Oct, +26, slipped 20 days), Hotel (1 Nov, 4 early)
                   → 2 launched, on time 1 of 2 (50%), median delay (26 - 4) / 2 = 11 days late, 1 slipped
    the 30 before: Echo (30 Sep, +5), Delta (1 Oct, no target), Bravo (12 Oct, 8 early), Alpha (15 Oct, +5,
                   slipped 10 days), India (20 Oct, on the day)
                   → 5 launched, on time 2 of 4 (50%), median of -8, 0, 5, 5 = 2.5 days late, 1 slipped
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.digests.models import Digest
from bot.digests.runner import render
from tests.test_digest_statements import BIG, PERIOD, SMALL, build, grow
from tests.test_insights import build_history

WEDNESDAY_9 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


def rendered(herald, engine, digest: Digest) -> str:
    with Session(engine) as session:
        return str(render(herald, session, digest, period=WEDNESDAY_9, force=True))


def test_a_weekly_digest_says_how_we_re_shipping(herald, engine):
    with Session(engine) as session:
        build_history(session)
    weekly = Digest(channel_id="C0LAUNCHES", cron="0 9 * * wed", timezone="Europe/Berlin", created_by="U0ANN")

    text = rendered(herald, engine, weekly)

    assert "*How we're shipping* (the last 30 days, beside the 30 before)" in text
    assert "*Launched:* 2 ▼ from 5" in text
    assert "*On time:* 1 of 2 (50%) (same as before)" in text
    assert "*Median delay:* 11 days late ▲ from 2.5 days late" in text
    assert "*Slipped:* 1 launch, 20 days in all, median 20 days (same as before)" in text


def test_a_team_digest_shows_the_team_s_figures(herald, engine):
    with Session(engine) as session:
        build_history(session)
    team = Digest(channel_id="C0LAUNCHES", cron="0 9 * * wed", timezone="Europe/Berlin", created_by="U0ANN",
                  filters={"team": "payments"})

    assert "*Launched:* 2 ▼ from 4" in rendered(herald, engine, team)  # India is cid's, in no team


@pytest.mark.parametrize("digest", [
    Digest(channel_id="C0LAUNCHES", cron="0 9 * * *", timezone="Europe/Berlin", created_by="U0ANN"),  # daily
    Digest(channel_id="C0LAUNCHES", cron="0 9 * * wed", timezone="Europe/Berlin", created_by="U0ANN",
           insights=False),
    Digest(channel_id="C0LAUNCHES", cron="0 9 * * wed", timezone="Europe/Berlin", created_by="U0ANN",
           filters={"tag": "payments"}),  # launches carry no tags
], ids=["daily", "-insights", "tag"])
def test_other_digests_have_no_figures(herald, engine, digest):
    with Session(engine) as session:
        build_history(session)

    assert "How we're shipping" not in rendered(herald, engine, digest)


async def test_minus_insights_is_kept_with_the_digest(sender, engine):
    answer = await sender.command("digest weekly wed 09:00 team:payments -insights", channel="C0LAUNCHES")
    assert "I don't know a team" in answer.text  # filters still checked: nothing stored

    await sender.command("digest weekly wed 09:00 -insights", channel="C0LAUNCHES")
    with Session(engine) as session:
        assert session.exec(select(Digest.insights)).one() is False
    await sender.command("digest weekly wed 09:00", channel="C0LAUNCHES")
    with Session(engine) as session:
        assert session.exec(select(Digest.insights)).one() is True


def test_a_weekly_digest_s_statements_do_not_grow_with_the_number_of_launches(engine, herald, clock):
    """As tests/test_digest_statements.py, for a weekly team digest: the figures add a fixed number."""
    clock.now = PERIOD
    digest = Digest(channel_id="C0TEAM", cron="0 9 * * wed", timezone="UTC", created_by="U0ANN",
                    filters={"team": "payments"})
    grow(engine, 0, SMALL)
    small = build(engine, herald, digest)
    grow(engine, SMALL, BIG)
    big = build(engine, herald, digest)

    assert big.rows > small.rows
    assert big.render_statements == small.render_statements
