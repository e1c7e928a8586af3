"""Drawings: every label lies inside the SVG, laid out from measured widths (CJK wider)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from test_trace import world_store  # noqa: F401 (a fixture: the synthetic world of test_trace)

from fraudkit.scan.drawing import HEAD_SIZE, LABEL_SIZE, MORE_SIZE, DrawEdge, DrawNode, flow_svg, text_width

SIZES = {"lbl": LABEL_SIZE, "colhead": HEAD_SIZE, "more": MORE_SIZE}
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
