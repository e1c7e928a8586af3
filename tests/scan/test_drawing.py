"""Drawings: every label lies inside the SVG, laid out from measured widths (CJK wider), and no edge crosses a label."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from test_trace import world_store  # noqa: F401 (a fixture: the synthetic world of test_trace)

from fraudkit.scan.drawing import (
    AXIS_SIZE,
    HEAD_SIZE,
    LABEL_SIZE,
    MORE_SIZE,
    TICK_SIZE,
    DrawEdge,
    DrawNode,
    TimelineEvent,
    TimelineLane,
    flow_svg,
    text_width,
    time_ticks,
    timeline_svg,
)

SIZES = {"lbl": LABEL_SIZE, "colhead": HEAD_SIZE, "more": MORE_SIZE, "tick": TICK_SIZE, "axis": AXIS_SIZE}
NS = "{http://www.w3.org/2000/svg}"


def label_boxes(svg: str) -> tuple[tuple[float, float], list[tuple[str, float, float, float, float]]]:
    """The viewBox size and each <text>'s estimated box (text, left, top, right, bottom)."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert float(root.attrib["width"]) == width
    boxes = []
    for text in root.iter(f"{NS}text"):
        size = SIZES[text.attrib["class"]]
        w = text_width(text.text or "", size)
        x, y = float(text.attrib["x"]), float(text.attrib["y"])
        anchor = text.attrib.get("text-anchor", "start")
        left = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
        boxes.append((text.text or "", left, y - size, left + w, y + size * 0.3))
    return (width, height), boxes


def assert_labels_inside(svg: str) -> None:
    (width, height), boxes = label_boxes(svg)
    assert boxes
    for text, left, top, right, bottom in boxes:
        assert left >= 0 and right <= width and top >= 0 and bottom <= height, f"{text!r} is cut"


def test_text_width_counts_cjk_wider() -> None:
    assert text_width("张伟", 10) > text_width("ab", 10) * 1.5
    assert text_width("6222***********2525 (cash-out)", 10) > 150


def test_long_labels_in_the_last_column_fit() -> None:
    nodes = [
        DrawNode("v", "6222***********2525", "victim", 100),
        DrawNode("c", "6217***********2706", "collector", 100),
        *(DrawNode(f"p{i}", f"6228***********{i:04d} 招商银行现金点 (cash-out)", "cash_point", 10) for i in range(40)),
    ]
    edges = [DrawEdge("v", "c", 100), *(DrawEdge("c", f"p{i}", 10) for i in range(40))]
    assert_labels_inside(flow_svg(nodes, edges))


def test_edges_start_after_their_source_label() -> None:
    nodes = [DrawNode("a", "A" * 30, "collector", 10), *(DrawNode(f"b{i}", "B", "layer", 1) for i in range(8))]
    svg = flow_svg(nodes, [DrawEdge("a", f"b{i}", 1) for i in range(8)])
    (_, _), boxes = label_boxes(svg)
    label_right = next(right for text, _, _, right, _ in boxes if text == "A" * 30)
    starts = [float(m) for m in re.findall(r'<path d="M([\d.]+),', svg)]
    assert len(starts) == 8 and min(starts) >= label_right


def test_trace_drawing_keeps_every_label_inside(world_store) -> None:  # noqa: F811
    import polars as pl

    from fraudkit.scan.trace import trace_account, trace_html

    world, con = world_store
    victim = world.truth["victims"].sort("total_loss", descending=True).row(0, named=True)
    result = trace_account(con, victim["account_id"], since=victim["first_loss_at"], hops=8)
    svgs = re.findall(r"<svg.*?</svg>", trace_html(result), re.S)
    assert len(svgs) == 1
    assert_labels_inside(svgs[0])
    assert result.flows.filter(pl.col("is_cash_out")).height > 0


def edge_polylines(svg: str, steps: int = 24) -> list[tuple[float, list[tuple[float, float]]]]:
    """Each <path class="edge"> as (stroke width, points along it): M, H and C commands, curves sampled."""
    root = ET.fromstring(svg)
    lines = []
    for path in root.iter(f"{NS}path"):
        if path.attrib.get("class") != "edge":
            continue
        tokens = re.findall(r"[MHC]|-?[\d.]+", path.attrib["d"])
        points: list[tuple[float, float]] = []
        i = 0
        while i < len(tokens):
            command = tokens[i]
            if command == "M":
                points.append((float(tokens[i + 1]), float(tokens[i + 2])))
                i += 3
            elif command == "H":
                x0, y0 = points[-1]
                x1 = float(tokens[i + 1])
                points.extend((x0 + (x1 - x0) * t / steps, y0) for t in range(1, steps + 1))
                i += 2
            elif command == "C":
                p0 = points[-1]
                p1, p2, p3 = ((float(tokens[i + k]), float(tokens[i + k + 1])) for k in (1, 3, 5))
                for step in range(1, steps + 1):
                    t = step / steps
                    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                    points.append(
                        (
                            a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                            a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
                        )
                    )
                i += 7
            else:
                raise AssertionError(f"unexpected path command {command!r}")
        lines.append((float(path.attrib["stroke-width"]), points))
    return lines


def crossings(svg: str) -> list[str]:
    """Labels some edge runs through (its stroke, half the width either side, inside the label's box)."""
    _, boxes = label_boxes(svg)
    crossed = []
    for stroke, points in edge_polylines(svg):
        half = stroke / 2
        for text, left, top, right, bottom in boxes:
            if any(left - half < x < right + half and top - half < y < bottom + half for x, y in points):
                crossed.append(text)
    return crossed


def fan_out_cluster() -> tuple[list[DrawNode], list[DrawEdge]]:
    """Victims into one collector that fans out to a dozen cash-out mules, each to cash points; plus a
    victim paying a mule directly, a mule paying back the collector and two collectors passing money."""
    nodes = [
        *(DrawNode(f"v{i}", f"6222***********{i:04d}", "victim", 1000 - i) for i in range(5)),
        DrawNode("c0", "6217***********2706", "collector", 5000),
        DrawNode("c1", "6217***********2707 张伟", "collector", 400),
        *(
            DrawNode(f"m{i}", f"6216***********{i:04d}" + (" (young)" if i % 3 else ""), "cashout", 300)
            for i in range(12)
        ),
        *(DrawNode(f"p{i}", f"ATM 招商银行 {i}", "cash_point", 100) for i in range(12)),
    ]
    edges = [
        *(DrawEdge(f"v{i}", "c0", 1000 - i) for i in range(5)),
        DrawEdge("c1", "c0", 400),
        DrawEdge("c0", "c1", 50),
        *(DrawEdge("c0", f"m{i}", 300) for i in range(12)),
        *(DrawEdge(f"m{i}", f"p{(i + 5) % 12}", 280) for i in range(12)),
        DrawEdge("v4", "m11", 60),
        DrawEdge("m6", "c0", 30),
        DrawEdge("m2", "m9", 20),
    ]
    return nodes, edges


def test_no_edge_crosses_a_label_in_a_fan_out_cluster() -> None:
    nodes, edges = fan_out_cluster()
    svg = flow_svg(nodes, edges)
    assert len(edge_polylines(svg)) == len(edges)
    assert crossings(svg) == []
    assert_labels_inside(svg)


def test_no_edge_crosses_a_label_when_a_column_is_cut_short() -> None:
    nodes, edges = fan_out_cluster()
    svg = flow_svg(nodes, edges, max_per_column=5)
    assert "+7 more" in svg
    assert crossings(svg) == []


def test_the_crossing_check_sees_an_edge_through_a_label() -> None:
    """The check itself: a straight edge drawn over a label is caught."""
    svg = flow_svg([DrawNode("a", "A" * 20, "collector", 1), DrawNode("b", "B", "cashout", 1)], [])
    through = '<path d="M10,53 H200" stroke-width="1.0" class="edge"></path></svg>'
    assert crossings(svg.replace("</svg>", through)) == ["A" * 20]


def test_no_edge_crosses_a_label_in_the_scanned_clusters(world_store) -> None:  # noqa: F811
    from fraudkit.scan.outputs import cluster_drawing
    from fraudkit.scan.scan import run_scan

    _, con = world_store
    result = run_scan(con, as_of=datetime(2026, 10, 31), window=timedelta(days=7))
    assert result.clusters.height >= 1
    for cluster_id in result.clusters["cluster_id"]:
        svg = cluster_drawing(result, cluster_id)
        assert crossings(svg) == [], cluster_id
        assert_labels_inside(svg)


def test_time_ticks_are_round_and_few() -> None:
    start, end = datetime(2026, 10, 27, 11, 7), datetime(2026, 10, 27, 19, 40)
    ticks = time_ticks(start, end)
    assert 2 <= len(ticks) <= 8
    assert all(start <= t <= end for t in ticks)
    assert all(t.minute == 0 for t in ticks)
    week = time_ticks(datetime(2026, 10, 24, 3), datetime(2026, 10, 31))
    assert week[0] == datetime(2026, 10, 25) and len(week) <= 8


def test_timeline_bars_go_up_for_money_in_and_down_for_money_out() -> None:
    lanes = [
        TimelineLane("a", "6217***********2706 (collector)", "collector"),
        TimelineLane("b", "张伟 (cashout)", "cashout"),
    ]
    t0 = datetime(2026, 10, 27, 11)
    events = [
        TimelineEvent("a", t0, 8_700.0, "in"),
        TimelineEvent("a", t0 + timedelta(minutes=20), 8_600.0, "out"),
        TimelineEvent("b", t0 + timedelta(minutes=25), 8_600.0, "in"),
        TimelineEvent("b", t0 + timedelta(hours=2), 8_500.0, "out"),
    ]
    svg = timeline_svg(lanes, events)
    root = ET.fromstring(svg)
    bars = {(r.attrib["class"], float(r.attrib["x"])): r for r in root.iter(f"{NS}rect")}
    assert sorted(c for c, _ in bars) == ["bar-in", "bar-in", "bar-out", "bar-out"]
    xs = sorted(x for _, x in bars)
    assert xs[0] < xs[1] < xs[2] < xs[3], "bars in time order left to right"
    lane_y = {
        text.text: float(text.attrib["y"]) - 4 for text in root.iter(f"{NS}text") if text.attrib["class"] == "lbl"
    }
    for (cls, _), rect in bars.items():
        top, height = float(rect.attrib["y"]), float(rect.attrib["height"])
        centre = min(lane_y.values(), key=lambda y: abs(y - top - height / 2))
        assert (top + height <= centre + 0.1) if cls == "bar-in" else (top >= centre - 0.1)
    texts = [t.text or "" for t in root.iter(f"{NS}text")]
    assert "account (role)" in texts and any(t.startswith("time, 2026-10-27") for t in texts)
    assert_labels_inside(svg)


def test_a_timeline_with_more_lanes_than_shown_says_so() -> None:
    lanes = [TimelineLane(str(i), f"6216***********{i:04d} (layer)", "layer") for i in range(35)]
    events = [TimelineEvent(str(i), datetime(2026, 10, 27, i % 24), 100.0 + i, "in") for i in range(35)]
    svg = timeline_svg(lanes, events, max_lanes=30)
    assert "+5 more" in svg and len(ET.fromstring(svg).findall(f"{NS}rect")) == 30
    assert_labels_inside(svg)
