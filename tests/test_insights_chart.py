"""The insights chart: a PNG Slack previews well, shared in a channel or a DM through the real Messenger and the
fake Slack's upload flow, a refusal told to the person in words; in the console, saved to a file."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from datetime import date

from bot.core.herald import Herald
from bot.handlers.support.charts import CHART_FILE, share_chart, upload_chart
from bot.insights.chart import draw_chart, month_labels
from bot.insights.figures import MonthFigures
from bot.runtime.console import ConsoleWebClient
from bot.runtime.console.workspace import CONSOLE_CHANNEL
from bot.slack.messenger import Messenger
from tests.support.fake_slack import FakeSlack

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HALF_YEAR = [
    MonthFigures(date(2025, 10, 1), launched=6, on_time=4, median_delay=2.0),
    MonthFigures(date(2025, 11, 1), launched=0, on_time=0, median_delay=None),  # no launches: a gap
    MonthFigures(date(2025, 12, 1), launched=3, on_time=3, median_delay=-1.5),
    MonthFigures(date(2026, 1, 1), launched=5, on_time=1, median_delay=12.0),
    MonthFigures(date(2026, 2, 1), launched=2, on_time=2, median_delay=0.0),
    MonthFigures(date(2026, 3, 1), launched=4, on_time=0, median_delay=7.0),
]
TITLE = "Shipping on time: Payments"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which follows the 8-byte signature."""
    assert png[:8] == PNG_MAGIC
    return struct.unpack(">II", png[16:24])


def test_chart_is_a_png_at_slack_preview_size():
    png = draw_chart(HALF_YEAR, title=TITLE)
    assert png_size(png) == (800, 450)
    assert 10_000 < len(png) < 300_000


def test_chart_of_no_months_one_month_or_only_empty_months_is_still_a_png():
    quiet = [MonthFigures(date(2026, month, 1), 0, 0, None) for month in range(1, 7)]
    for months in ([], HALF_YEAR[:1], quiet):
        assert png_size(draw_chart(months, title=TITLE)) == (800, 450)


def test_month_labels_carry_the_year_under_the_first_month_and_where_it_changes():
    assert month_labels(HALF_YEAR) == ["Oct\n2025", "Nov", "Dec", "Jan\n2026", "Feb", "Mar"]


def test_matplotlib_is_loaded_only_when_a_chart_is_drawn_and_never_through_pyplot():
    """Herald's startup (the app with every handler) does not pay for matplotlib; drawing does not use pyplot's
    global state, which is not safe across the threads charts are drawn in."""
    check = ("import sys, bot.runtime.app\n"
             "assert 'matplotlib' not in sys.modules, 'loaded at startup'\n"
             "from datetime import date\n"
             "from bot.insights.chart import draw_chart\n"
             "from bot.insights.figures import MonthFigures\n"
             "draw_chart([MonthFigures(date(2026, 1, 1), 2, 1, 3.0)], title='t')\n"
             "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", check], check=True)


async def test_a_chart_is_shared_in_the_channel(herald: Herald, slack: FakeSlack):
    png = draw_chart(HALF_YEAR, title=TITLE)
    await upload_chart(herald, channel_or_user="C0LAUNCHES", png=png, title=TITLE, asked_by="U0ANN")

    [asked] = slack.calls_to("files.getUploadURLExternal")
    assert asked.args["filename"] == CHART_FILE and int(asked.args["length"]) == len(png)
    [completed] = slack.calls_to("files.completeUploadExternal")
    assert completed.args["channel_id"] == "C0LAUNCHES"
    assert slack.files == [{"id": completed.args["files"][0]["id"], "channel": "C0LAUNCHES", "title": TITLE,
                            "filename": CHART_FILE, "content": png}]
    [shown] = slack.messages["C0LAUNCHES"]
    assert [f["title"] for f in shown["files"]] == [TITLE]


async def test_a_chart_for_a_person_is_shared_in_their_dm(herald: Herald, slack: FakeSlack):
    await share_chart(herald, months=HALF_YEAR, title=TITLE, channel_or_user="U0ANN")

    assert [call.args["users"] for call in slack.calls_to("conversations.open")] == ["U0ANN"]
    assert slack.calls_to("files.completeUploadExternal")[0].args["channel_id"] == "D0ANN"
    [shared] = slack.files
    assert shared["channel"] == "D0ANN" and shared["content"].startswith(PNG_MAGIC)


async def test_a_chart_for_a_public_channel_herald_is_not_in_joins_it_first(herald: Herald, slack: FakeSlack):
    slack.add_channel("C0PUBLIC", "roadmap", is_member=False)
    await upload_chart(herald, channel_or_user="C0PUBLIC", png=PNG_MAGIC + b"chart", title=TITLE, asked_by="U0ANN")

    assert [call.args["channel"] for call in slack.calls_to("conversations.join")] == ["C0PUBLIC"]
    assert [shared["channel"] for shared in slack.files] == ["C0PUBLIC"]
    assert slack.messages.get("D0ANN", []) == []  # nothing to tell


async def test_a_chart_refused_by_a_private_channel_is_explained_to_the_person_in_their_dm(herald: Herald,
                                                                                          slack: FakeSlack):
    slack.add_channel("G0SECRET", "secret-plans", is_private=True, is_member=False)
    await upload_chart(herald, channel_or_user="G0SECRET", png=PNG_MAGIC + b"chart", title=TITLE, asked_by="U0ANN")

    assert slack.files == []
    [told] = slack.messages["D0ANN"]
    assert told["text"] == (f"I couldn't share the chart “{TITLE}” in <#G0SECRET>: I'm not in that channel. "
                            "Invite me with `/invite @Herald` and ask again.")


async def test_a_workspace_without_the_files_scope_is_told_which_scope_to_add(herald: Herald, slack: FakeSlack):
    slack.fail("files.getUploadURLExternal", "missing_scope")
    await upload_chart(herald, channel_or_user="U0ANN", png=PNG_MAGIC + b"chart", title=TITLE)

    [told] = slack.messages["D0ANN"]
    assert "in our DM" in told["text"] and "`files:write` scope" in told["text"]


async def test_bytes_the_file_host_refuses_are_told_not_shared(herald: Herald, slack: FakeSlack):
    slack.fail("upload", "storage full")
    await upload_chart(herald, channel_or_user="C0LAUNCHES", png=PNG_MAGIC + b"chart", title=TITLE,
                       asked_by="U0BOB")

    assert slack.calls_to("files.completeUploadExternal") == [] and slack.files == []
    [told] = slack.messages["D0BOB"]
    assert told["text"].endswith("in <#C0LAUNCHES>: Slack said `upload_failed`. Try again in a minute.")


async def test_a_title_with_slack_markup_is_told_as_typed(herald: Herald, slack: FakeSlack):
    slack.fail("files.completeUploadExternal", "missing_scope")
    await upload_chart(herald, channel_or_user="U0ANN", png=PNG_MAGIC, title="<!channel> & co")

    assert "“&lt;!channel&gt; &amp; co”" in slack.messages["D0ANN"][0]["text"]


async def test_the_console_saves_the_chart_and_prints_where(tmp_path):
    out = io.StringIO()
    messenger = Messenger(ConsoleWebClient(out, files_dir=tmp_path))
    png = draw_chart(HALF_YEAR, title=TITLE)
    await messenger.upload_file(CONSOLE_CHANNEL, filename=CHART_FILE, content=png, title=TITLE)
    await messenger.upload_file("U0DEMOAVA", filename=CHART_FILE, content=png, title=TITLE)

    first, second = sorted(tmp_path.glob("insights-*.png"))  # within one second too: numbered, not overwritten
    assert first.read_bytes() == png and second.read_bytes() == png
    assert f"── chart saved to {first} ──" in out.getvalue()
    assert f"── chart saved to {second} ──" in out.getvalue()
