"""PNG charts for `/stats`, drawn with matplotlib's object API (no pyplot global state: safe in a worker
thread, which is where they are rendered, off the event loop)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from storage.stats import StatsReport

CHANNEL_COLOURS = {
    "telegram": "#2AABEE",
    "telegram_business": "#1C7DB5",
    "web": "#7A7A7A",
    "messenger": "#0866FF",
    "instagram": "#E1306C",
    "whatsapp": "#25D366",
    "console": "#B0B0B0",
}
TEMPERATURE_COLOURS = {"hot": "#E4572E", "warm": "#F3A712", "cold": "#4C86A8"}


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def activity_chart(report: StatsReport, title: str, leads_label: str) -> bytes:
    """Conversations per day, stacked by channel, with the new leads per day as a line."""
    days = sorted(set(report.conversations_by_day) | set(report.leads_by_day))
    channels = sorted({c for day in report.conversations_by_day.values() for c in day})
    figure = Figure(figsize=(7, 3.6))
    axes = figure.add_subplot()
    bottoms = [0] * len(days)
    for channel in channels:
        counts = [report.conversations_by_day.get(day, {}).get(channel, 0) for day in days]
        axes.bar([d[5:] for d in days], counts, bottom=bottoms, label=channel, color=CHANNEL_COLOURS.get(channel))
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    leads = [sum(report.leads_by_day.get(day, {}).values()) for day in days]
    axes.plot([d[5:] for d in days], leads, color="black", marker="o", label=leads_label)
    axes.set_title(title)
    axes.legend(fontsize=8, loc="upper left")
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    return _png(figure)


def funnel_chart(report: StatsReport, title: str, labels: dict[str, str]) -> bytes:
    """Hot / Warm / Cold leads, then how many were won and lost."""
    keys = ["hot", "warm", "cold", "won", "lost"]
    values = [report.funnel.get(k, 0) for k in keys[:3]] + [report.outcomes.get(k, 0) for k in keys[3:]]
    colours = [TEMPERATURE_COLOURS[k] for k in keys[:3]] + ["#3BB273", "#8D8D8D"]
    figure = Figure(figsize=(6, 3.2))
    axes = figure.add_subplot()
    bars = axes.bar([labels[k] for k in keys], values, color=colours)
    axes.bar_label(bars)
    axes.set_title(title)
    return _png(figure)


def bars_chart(title: str, bars: dict[str, float]) -> bytes:
    """One number split by channel, day or temperature (an `/ask` answer)."""
    figure = Figure(figsize=(6, 3.4))
    axes = figure.add_subplot()
    labels = list(bars)
    colours = [CHANNEL_COLOURS.get(label.lower(), TEMPERATURE_COLOURS.get(label, "#4C86A8")) for label in labels]
    axes.bar([label[5:] if label[:2] == "20" else label for label in labels], list(bars.values()), color=colours)
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelrotation=45 if len(labels) > 5 else 0, labelsize=8)
    return _png(figure)
