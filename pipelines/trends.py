"""Per-day trends of the daily batch, across the runs so far: alerts (people on the call-back list, by
tier), water-house clusters flagged, and victims paying into them.

Each run's ``summary.json`` keeps its day's figures under ``"trend"``; the history is every day
folder of ``--out`` (the latest run of a day replaces its earlier ones, as the folder does), drawn
as one SVG with a panel per measure. The drawing is deterministic: the same history gives the
same bytes (fixed size, fonts as paths, no date stamp, a fixed id salt).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fraudkit.atomic import write_file
from fraudkit.text import plural

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUMMARY_JSON = "summary.json"
TRENDS_SVG = "trends.svg"
TABLE_DAYS = 14
"""Days the summary's table lists (the drawing shows them all)."""

TIER_COLOURS = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#f9c80e"}
LINE_COLOUR = "#1f4e79"


@dataclass(frozen=True)
class DayFigures:
    """One day's figures; None where the step did not run that day (no champion: no list)."""

    day: date
    listed: int | None = None  # alerts: people on the call-back list
    red: int | None = None
    orange: int | None = None
    yellow: int | None = None
    clusters: int | None = None  # water-house clusters flagged in the scan window
    victims: int | None = None  # distinct accounts paying into the flagged clusters in the window

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"day": self.day.isoformat()}

    @classmethod
    def from_summary(cls, data: Mapping[str, Any]) -> DayFigures:
        """From a run's summary.json: its ``trend`` entry, else (a summary from before trends) its steps' facts."""
        if isinstance(data.get("trend"), Mapping):
            trend = dict(data["trend"])
            return cls(**(trend | {"day": date.fromisoformat(str(trend["day"]))}))
        facts = {step["name"]: step for step in data.get("steps", [])}
        scan = facts.get("scan", {})
        warn = facts.get("warn", {})
        listed = None if warn.get("skipped") else warn.get("facts", {}).get("listed")
        return cls(
            day=date.fromisoformat(str(data["as_of"])[:10]),
            listed=listed,
            **{t: warn.get("facts", {}).get(t) if listed is not None else None for t in TIER_COLOURS},
            clusters=None if scan.get("skipped") else scan.get("facts", {}).get("flagged"),
            victims=None if scan.get("skipped") else scan.get("facts", {}).get("victims"),
        )


def day_figures(day: date, facts: Mapping[str, Mapping[str, Any] | None]) -> DayFigures:
    """Today's figures from the steps' facts (``None`` for a skipped step)."""
    scan, warn = facts.get("scan"), facts.get("warn")
    return DayFigures(
        day=day,
        listed=warn.get("listed") if warn else None,
        **{t: warn.get(t) if warn else None for t in TIER_COLOURS},
        clusters=scan.get("flagged") if scan else None,
        victims=scan.get("victims") if scan else None,
    )


def read_history(out: Path, today: DayFigures) -> tuple[list[DayFigures], list[Path]]:
    """Every day's figures under ``out`` (one per day folder), today's from memory; and the
    summaries that could not be read (named in the summary rather than failing the run)."""
    days: dict[date, DayFigures] = {}
    unreadable: list[Path] = []
    for path in sorted(out.glob(f"*/{SUMMARY_JSON}")):
        try:
            figures = DayFigures.from_summary(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            unreadable.append(path)
            continue
        days[figures.day] = figures
    days[today.day] = today
    return [days[d] for d in sorted(days)], unreadable


def _values(history: list[DayFigures], name: str) -> list[float]:
    return [math.nan if getattr(d, name) is None else float(getattr(d, name)) for d in history]


def _calendar(history: list[DayFigures]) -> list[DayFigures]:
    """Every day from the first run to the last; a day without a run has no figures, so its lines break."""
    if not history:
        return []
    known = {d.day: d for d in history}
    first, last = min(known), max(known)
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [known.get(day, DayFigures(day=day)) for day in days]


SVG_SETTINGS = {"svg.hashsalt": "fraudkit-daily-trends", "svg.fonttype": "path", "font.family": "DejaVu Sans"}
"""Fixed ids and fonts drawn as paths, so the same history gives the same bytes."""


def trends_figure(history: list[DayFigures]) -> Figure:
    """Three panels over the calendar days: alerts stacked by tier, flagged clusters, victims paying in.

    Days are placed on the calendar, so a day without a run shows as a gap; a run without a
    list (no champion yet) says "no list"."""
    from matplotlib.figure import Figure

    calendar = _calendar(history)
    ran = {d.day for d in history}
    days = [d.day for d in calendar]
    positions = list(range(len(days)))
    fig = Figure(figsize=(8.0, 7.0), dpi=100, layout="constrained")
    alerts, clusters, victims = fig.subplots(3, 1, sharex=True)
    bottom = [0.0] * len(days)
    for tier, colour in TIER_COLOURS.items():
        heights = [0.0 if math.isnan(v) else v for v in _values(calendar, tier)]
        alerts.bar(positions, heights, bottom=bottom, color=colour, label=tier, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for x, figures in zip(positions, calendar, strict=True):
        if figures.listed is None and figures.day in ran:
            alerts.text(x, 0, "no list", rotation=90, ha="center", va="bottom", fontsize=7, color="#555555")
    alerts.set_ylabel("people")
    alerts.set_title("alerts: people on the call-back list, by tier", loc="left", fontsize=10)
    alerts.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, ncols=3)
    for ax, name, title, unit in (
        (clusters, "clusters", "water-house clusters flagged (scan window)", "clusters"),
        (victims, "victims", "victims paying into flagged clusters (scan window)", "accounts"),
    ):
        ax.plot(positions, _values(calendar, name), marker="o", color=LINE_COLOUR, linewidth=1.5)
        ax.set_ylabel(unit)
        ax.set_title(title, loc="left", fontsize=10)
    for ax in (alerts, clusters, victims):
        ax.set_ylim(bottom=0, top=max(1.0, ax.dataLim.y1) * 1.2)  # room above the highest mark
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    step = max(1, math.ceil(len(days) / 14))
    victims.set_xticks(positions[::step], [f"{d:%m-%d}" for d in days[::step]])
    victims.set_xlabel(f"as-of day, {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}" if days else "as-of day")
    victims.set_xlim(-0.6, max(positions, default=0) + 0.6)
    fig.suptitle(f"fraudkit daily batch: per-day trends, {plural(len(ran), 'run day')}", fontsize=11)
    return fig


def draw_trends(history: list[DayFigures], path: Path) -> Path:
    """The trends figure as SVG at ``path``, written atomically (a reader never sees half a drawing)."""
    import matplotlib

    with matplotlib.rc_context(SVG_SETTINGS):
        fig = trends_figure(history)
        return write_file(path, lambda temp: fig.savefig(temp, format="svg", metadata={"Date": None}))


def trends_table(history: Iterable[DayFigures], last: int = TABLE_DAYS) -> list[str]:
    """Markdown rows of the last days, newest first."""

    def shown(value: int | None) -> str:
        return "—" if value is None else f"{value:,}"

    rows = [
        "| day | alerts (red / orange / yellow) | flagged clusters | victims paying in |",
        "| --- | --- | --- | --- |",
    ]
    for d in sorted(history, key=lambda d: d.day, reverse=True)[:last]:
        tiers = (
            "no list" if d.listed is None else f"{d.listed:,} ({shown(d.red)} / {shown(d.orange)} / {shown(d.yellow)})"
        )
        rows.append(f"| {d.day:%Y-%m-%d} | {tiers} | {shown(d.clusters)} | {shown(d.victims)} |")
    return rows
