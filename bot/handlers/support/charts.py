"""The `/launch insights` chart after the ack: drawn in the worker process, shared in Slack, a refusal told in
words. Drawing takes a few hundred milliseconds of CPU (more the first time, when matplotlib loads)."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from bot.core.herald import Herald
from bot.core.messaging import SlackRefused, SlackUncertain
from bot.core.processes import worker_process
from bot.core.slack_ids import is_user_id
from bot.insights.chart import draw_chart
from bot.insights.figures import MonthFigures

log = logging.getLogger(__name__)

CHART_FILE = "insights.png"


async def share_chart(herald: Herald, *, months: list[MonthFigures], title: str, channel_or_user: str,
                      asked_by: str | None = None) -> None:
    """Draw the chart in the drawing process, then upload it to the channel (`--share`) or the person's DM."""
    png = await asyncio.get_running_loop().run_in_executor(worker_process(), partial(draw_chart, months, title=title))
    await upload_chart(herald, channel_or_user=channel_or_user, png=png, title=title, asked_by=asked_by)


async def upload_chart(herald: Herald, *, channel_or_user: str, png: bytes, title: str,
                       asked_by: str | None = None) -> None:
    """Share `png` in a channel or a user's DM; if Slack refuses, tell `asked_by` (else the user it was for) why."""
    try:
        await herald.messenger.upload_file(channel_or_user, filename=CHART_FILE, content=png, title=title)
        return
    except SlackRefused as refused:
        why, reason = _why(refused), refused.reason
    except SlackUncertain:
        why, reason = "unsure", "no answer"
    log.warning("the chart %r was not shared with %s: %s", title, channel_or_user, reason)
    person = asked_by or (channel_or_user if is_user_id(channel_or_user) else None)
    if person is None:
        return
    where = None if is_user_id(channel_or_user) else channel_or_user
    message = herald.renderer.message("insights/chart_not_shared.json.j2", why=why, reason=reason, title=title,
                                      where=where)
    try:
        await herald.messenger.post(person, message)
    except (SlackRefused, SlackUncertain) as error:
        log.warning("could not tell %s that their chart was not shared: %r", person, error)


def _why(refused: SlackRefused) -> str:
    if refused.reason == "missing_scope":  # files:write not granted: the app was installed before charts
        return "scope"
    if refused.channel_gone:
        return "channel"
    return "other"

