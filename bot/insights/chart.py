"""The `/launch insights` chart: on-time rate and median delay per month, as a PNG Slack previews well.

matplotlib is imported when the first chart is drawn, not when Herald starts: its import takes most
of a second that nobody should pay for a command that draws nothing. It draws on its own `Figure`
with the Agg canvas, never through pyplot's global state, so charts can be drawn in threads at once.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from bot.insights.figures import MonthFigures

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SIZE = (8, 4.5)  # inches; at DPI, 800×450 px: what Slack shows in a channel without opening the file
DPI = 100
RATE_COLOR, DELAY_COLOR, QUIET_COLOR = "#2E8B57", "#C0392B", "#8A8A8A"


def draw_chart(months: list[MonthFigures], *, title: str) -> bytes:
    """PNG bytes: bars of the on-time rate (left axis, 0–100 %) and a line of the median delay in days
    (right axis); a month without launches is a gap in both, marked "no launches"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    rate_axis = figure.add_subplot()
    figure.suptitle(title, fontsize=13, fontweight="bold")
    if months:
        _draw_months(rate_axis, months)
    else:
        rate_axis.set_axis_off()
        rate_axis.text(0.5, 0.5, "No months to show", ha="center", va="center", color=QUIET_COLOR, fontsize=12)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=DPI)
    return png.getvalue()


def _draw_months(rate_axis: Axes, months: list[MonthFigures]) -> None:
    positions = list(range(len(months)))
    rates = [None if month.on_time_rate is None else 100 * month.on_time_rate for month in months]
    delays = [math.nan if month.median_delay is None else month.median_delay for month in months]

    rate_axis.bar([p for p, rate in zip(positions, rates) if rate is not None],
                   [rate for rate in rates if rate is not None], width=0.6, color=RATE_COLOR, alpha=0.85)
    for position, month, rate in zip(positions, months, rates):
        if rate is None:
            rate_axis.text(position, 3, "no launches", ha="center", va="bottom", color=QUIET_COLOR, fontsize=9)
        else:
            rate_axis.text(position, rate + 2, f"{rate:.0f}%\n{month.on_time} of {month.launched}", ha="center",
                           va="bottom", fontsize=9)
    rate_axis.set_ylim(0, 115)  # room above a full bar for its label
    rate_axis.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    rate_axis.set_ylabel("On time")
    rate_axis.set_xticks(positions, month_labels(months))
    rate_axis.set_xlim(-0.6, len(months) - 0.4)
    rate_axis.spines[["top"]].set_visible(False)

    delay_axis = rate_axis.twinx()
    delay_axis.plot(positions, delays, color=DELAY_COLOR, marker="o", linewidth=2)
    for position, delay in zip(positions, delays):
        if not math.isnan(delay):
            delay_axis.annotate(f"{delay:+g} d" if delay else "0 d", (position, delay), textcoords="offset points",
                                xytext=(10, 4), color=DELAY_COLOR, fontsize=8,
                                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    delay_axis.axhline(0, color=DELAY_COLOR, linewidth=0.8, linestyle=":", alpha=0.6)
    delay_axis.set_ylim(*_delay_limits([d for d in delays if not math.isnan(d)]))
    delay_axis.set_ylabel("Median delay (days; below 0: early)")
    delay_axis.spines[["top"]].set_visible(False)
    rate_axis.legend(handles=_legend(), loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=9,
                     frameon=False, ncols=2)


def _legend() -> list:
    """Drawn apart from the data, so a chart without any bar or point still says what each would be."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [Patch(color=RATE_COLOR, alpha=0.85, label="On time (% of launches, left)"),
            Line2D([], [], color=DELAY_COLOR, marker="o", linewidth=2, label="Median delay (days, right)")]


def month_labels(months: list[MonthFigures]) -> list[str]:
    """"Jul", "Aug", … with the year under the first month and under each January-like change of year."""
    labels, year = [], None
    for month in months:
        label = month.month.strftime("%b")
        labels.append(label if month.month.year == year else f"{label}\n{month.month.year}")
        year = month.month.year
    return labels


def _delay_limits(delays: list[float]) -> tuple[float, float]:
    """Always show 0 (on target), with a little room around the points for their labels."""
    low, high = min([0.0, *delays]), max([0.0, *delays])
    span = max(high - low, 4.0)
    return low - 0.1 * span, high + 0.15 * span
