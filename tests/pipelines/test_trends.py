"""pipelines.trends: the per-day history across runs, its drawing (deterministic, atomic) and its table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from fraudkit.errors import FraudkitError
from pipelines.trends import DayFigures, draw_trends, read_history, trends_figure, trends_table

HISTORY = [
    DayFigures(date(2026, 10, 28), listed=None, clusters=12, victims=80),
    DayFigures(date(2026, 10, 29), listed=100, red=12, orange=40, yellow=48, clusters=15, victims=96),
    DayFigures(date(2026, 10, 31), listed=90, red=9, orange=41, yellow=40, clusters=17, victims=119),
]


def write_summary(out: Path, figures: DayFigures, *, with_trend: bool = True) -> Path:
    folder = out / f"{figures.day:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    steps = [
        {"name": "scan", "facts": {"flagged": figures.clusters, "victims": figures.victims}, "skipped": None},
        {"name": "warn", "facts": {"listed": figures.listed}, "skipped": None if figures.listed else "no champion"},
    ]
    data = {"as_of": f"{figures.day}T00:00:00", "steps": steps} | ({"trend": figures.to_json()} if with_trend else {})
    (folder / "summary.json").write_text(json.dumps(data))
    return folder / "summary.json"


def test_history_is_every_day_folder_so_far_with_today_from_memory(tmp_path: Path) -> None:
    for figures in HISTORY[:2]:
        write_summary(tmp_path, figures)
    write_summary(tmp_path, DayFigures(date(2026, 10, 31), listed=1, clusters=1, victims=1))  # an earlier run today
    (tmp_path / "2026-10-27").mkdir()
    (tmp_path / "2026-10-27" / "summary.json").write_text("{ half a file")
    history, unreadable = read_history(tmp_path, HISTORY[2])
    assert history == HISTORY, "sorted by day, today's run replacing the earlier one of the same day"
    assert unreadable == [tmp_path / "2026-10-27" / "summary.json"]


def test_a_summary_from_before_trends_gives_its_figures_from_the_steps(tmp_path: Path) -> None:
    write_summary(tmp_path, HISTORY[1], with_trend=False)
    history, _ = read_history(tmp_path, HISTORY[2])
    assert history[0] == DayFigures(date(2026, 10, 29), listed=100, clusters=15, victims=96)


def test_the_drawing_has_three_panels_over_the_calendar_days() -> None:
    fig = trends_figure(HISTORY)
    alerts, clusters, victims = fig.axes
    assert "alerts" in alerts.get_title(loc="left") and alerts.get_ylabel() == "people"
    assert "clusters flagged" in clusters.get_title(loc="left")
    assert "victims paying into flagged clusters" in victims.get_title(loc="left")
    assert [t.get_text() for t in victims.get_xticklabels()] == ["10-28", "10-29", "10-30", "10-31"]
    assert "2026-10-28 to 2026-10-31" in victims.get_xlabel()
    heights = [round(bar.get_height()) for bar in alerts.patches]  # red, orange, yellow stacks over four days
    assert heights == [0, 12, 0, 9, 0, 40, 0, 41, 0, 48, 0, 40]
    ys = list(clusters.lines[0].get_ydata())
    assert ys[:2] == [12.0, 15.0] and ys[2] != ys[2] and ys[3] == 17.0, "the day without a run is a gap"
    assert [t.get_text() for t in alerts.texts] == ["no list"]


def test_the_same_history_draws_the_same_bytes(tmp_path: Path) -> None:
    first = draw_trends(HISTORY, tmp_path / "a.svg").read_bytes()
    second = draw_trends(HISTORY, tmp_path / "b.svg").read_bytes()
    assert first == second
    assert ET.fromstring(first).tag.endswith("svg")
    assert draw_trends(HISTORY[:2], tmp_path / "c.svg").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.svg", "b.svg", "c.svg"], "no temporary file left"


def test_a_failed_drawing_leaves_the_earlier_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    path = draw_trends(HISTORY, tmp_path / "trends.svg")
    before = path.read_bytes()

    def full_disk(self: Figure, fname: object, **kwargs: object) -> None:
        Path(str(fname)).write_bytes(b"<svg")  # half written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    with pytest.raises(FraudkitError, match="nothing was written"):
        draw_trends(HISTORY[:1], path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["trends.svg"]


def test_the_table_lists_the_latest_days_first() -> None:
    rows = trends_table(HISTORY, last=2)
    assert rows[2:] == [
        "| 2026-10-31 | 90 (9 / 41 / 40) | 17 | 119 |",
        "| 2026-10-29 | 100 (12 / 40 / 48) | 15 | 96 |",
    ]
    assert trends_table(HISTORY)[-1] == "| 2026-10-28 | no list | 12 | 80 |"
