"""Money-flow drawings as inline SVG: self-contained, no JavaScript, no CDN, opens offline.

Nodes are laid out in columns by role (victims, collectors, layers, cash-out, cash
points), so a reader sees money move left to right; edge width follows the amount.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

ROLE_COLUMNS = ("victim", "collector", "layer", "cashout", "cash_point")
ROLE_COLOURS = {
    "victim": "#2b8cbe",
    "collector": "#e6550d",
    "layer": "#fd8d3c",
    "cashout": "#a63603",
    "cash_point": "#636363",
    "source": "#2b8cbe",
    "hop": "#fd8d3c",
}


@dataclass(frozen=True)
class DrawNode:
    node_id: str
    label: str
    role: str
    amount: float = 0.0


@dataclass(frozen=True)
class DrawEdge:
    src: str
    dst: str
    amount: float
    label: str = ""


def _column_of(role: str, columns: Sequence[str]) -> int:
    return columns.index(role) if role in columns else len(columns) // 2


LABEL_SIZE = 10
"""Font size (px) of node labels (``.lbl`` in PAGE_STYLE); headings are HEAD_SIZE, ``+N more`` MORE_SIZE."""
HEAD_SIZE = 12
MORE_SIZE = 11
_NARROW_EM = 0.62
"""Width of a Latin character, digit or ``*`` in em: above the widest of system-ui's at any weight."""
_WIDE_EM = 1.05
"""Width of a CJK (East Asian wide or full-width) character in em."""
_DOT_X, _LABEL_DX, _GAP, _PAD = 8.0, 9.0, 48.0, 8.0


def text_width(text: str, size: float) -> float:
    """A conservative estimate of how wide ``text`` is drawn at ``size`` px (CJK characters count wider),
    so a layout made from it never cuts a label."""
    return size * sum(_WIDE_EM if unicodedata.east_asian_width(ch) in "WF" else _NARROW_EM for ch in text)


def flow_svg(
    nodes: Sequence[DrawNode],
    edges: Sequence[DrawEdge],
    *,
    columns: Sequence[str] = ROLE_COLUMNS,
    max_per_column: int = 30,
    width: int = 960,
) -> str:
    """An SVG of a money flow, nodes in role columns, edges weighted by amount and routed around every label.

    Laid out from measured label widths: each column is as wide as its widest label (or heading) plus a
    gap the edges run in, so no label is cut at the edge of the drawing. Edges never cross a label: an
    edge leaves its source to the right of the source's label, along its own row, to the column's right
    edge; curves only bend inside the gaps between columns; an edge that has to pass a column (a victim
    paying a cash-out mule directly, a cash-out mule paying back a collector, a hop within a column)
    crosses it along a lane between two rows, where no label sits. ``width`` is the least width drawn.
    """
    by_col: dict[int, list[DrawNode]] = {}
    for node in sorted(nodes, key=lambda n: (-n.amount, n.node_id)):
        by_col.setdefault(_column_of(node.role, columns), []).append(node)
    hidden: dict[int, int] = {}
    for col, members in by_col.items():
        if len(members) > max_per_column:
            hidden[col] = len(members) - max_per_column
            by_col[col] = members[:max_per_column]
    rows = max((len(v) + (1 if c in hidden else 0) for c, v in by_col.items()), default=1)
    height = _TOP + rows * _ROW_H + 20
    spans: list[float] = []
    for i, name in enumerate(columns):
        labels = [_LABEL_DX + text_width(n.label, LABEL_SIZE) for n in by_col.get(i, [])]
        if i in hidden:
            labels.append(text_width(f"+{hidden[i]} more", MORE_SIZE))
        spans.append(max([text_width(name.replace("_", " "), HEAD_SIZE), *labels]) + _CLEAR)
    lefts = [_PAD]
    for span in spans[:-1]:
        lefts.append(lefts[-1] + _DOT_X + span + _GAP)
    drawn = (lefts[-1] + _DOT_X + spans[-1] + _PAD) if spans else 2 * _PAD
    width = math.ceil(max(width, drawn))
    rights = [left + _DOT_X + span for left, span in zip(lefts, spans, strict=True)]
    pos: dict[str, tuple[int, float]] = {}  # node -> (column, y of its row)
    label_end: dict[str, float] = {}
    parts: list[str] = []
    for i, name in enumerate(columns):
        heading = html.escape(name.replace("_", " "))
        parts.append(f'<text x="{lefts[i]:.0f}" y="18" class="colhead">{heading}</text>')
    blocked: set[int] = set()  # lanes touching a "+N more" line
    for col, members in by_col.items():
        x = lefts[col] + _DOT_X
        for r, node in enumerate(members):
            pos[node.node_id] = (col, _row_y(r))
            label_end[node.node_id] = x + _LABEL_DX + text_width(node.label, LABEL_SIZE) + _CLEAR
        if col in hidden:
            y = _row_y(len(members))
            blocked |= {len(members), len(members) + 1}
            parts.append(f'<text x="{lefts[col]:.0f}" y="{y + 4:.0f}" class="more">+{hidden[col]} more</text>')
    lanes = [k for k in range(rows + 1) if k not in blocked] or [rows + 1]
    biggest = max((e.amount for e in edges), default=1.0) or 1.0
    edge_parts: list[str] = []
    for e in sorted(edges, key=lambda e: e.amount):
        if e.src not in pos or e.dst not in pos:
            continue
        (c1, y1), (c2, y2) = pos[e.src], pos[e.dst]
        w = 0.8 + 5.0 * math.sqrt(e.amount / biggest)
        route = _route(c1, y1, c2, y2, label_end[e.src], label_end[e.dst], lefts, rights, lanes)
        title = html.escape(e.label or f"{e.amount:,.2f}")
        edge_parts.append(f'<path d="{route}" stroke-width="{w:.1f}" class="edge"><title>{title}</title></path>')
    node_parts: list[str] = []
    for node in nodes:
        if node.node_id not in pos:
            continue
        col, y = pos[node.node_id]
        x = lefts[col] + _DOT_X
        colour = ROLE_COLOURS.get(node.role, "#756bb1")
        label = html.escape(node.label)
        node_parts.append(
            f'<g><circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="{colour}"><title>{label} ({html.escape(node.role)}, '
            f"{node.amount:,.2f})</title></circle>"
            f'<text x="{x + _LABEL_DX:.0f}" y="{y + 4:.0f}" class="lbl">{label}</text></g>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{"".join(parts)}{"".join(edge_parts)}{"".join(node_parts)}</svg>'
    )


_ROW_H, _TOP = 26.0, 40.0
_CLEAR = 4.0
"""Space kept between a label's end and an edge (more than half the widest stroke)."""


def _row_y(row: int) -> float:
    """Centre of a row; labels sit from 6 px above it to 7 px below, lanes half way between rows."""
    return _TOP + row * _ROW_H + _ROW_H / 2


def _lane_y(lane: int) -> float:
    return _TOP + lane * _ROW_H


def _nearest_lane(y: float, lanes: Sequence[int]) -> float:
    return _lane_y(min(lanes, key=lambda k: (abs(_lane_y(k) - y), k)))


def _route(
    c1: int,
    y1: float,
    c2: int,
    y2: float,
    src_end: float,
    dst_end: float,
    lefts: Sequence[float],
    rights: Sequence[float],
    lanes: Sequence[int],
) -> str:
    """SVG path data of one edge that never enters a label's box.

    Straight runs stay on a node's own row right of its label, or on a lane between rows; curves are
    drawn only in the gaps between columns (x from one column's right edge to the next column's left)."""
    turn = _GAP / 2
    path = [f"M{src_end:.1f},{y1:.1f} H{rights[c1]:.1f}"]
    if c2 == c1 + 1:  # the next column: one curve across the gap into the target's dot
        x2, mid = lefts[c2] + _DOT_X - 6, (rights[c1] + lefts[c2] + _DOT_X - 6) / 2
        path.append(f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
    elif c2 > c1:  # past columns in between: curve onto a lane, along it, curve off it into the dot
        lane = _nearest_lane((y1 + y2) / 2, lanes)
        mid = (rights[c1] + lefts[c1 + 1]) / 2
        path.append(f"C{mid:.1f},{y1:.1f} {mid:.1f},{lane:.1f} {lefts[c1 + 1]:.1f},{lane:.1f}")
        path.append(f"H{rights[c2 - 1]:.1f}")
        x2, mid = lefts[c2] + _DOT_X - 6, (rights[c2 - 1] + lefts[c2] + _DOT_X - 6) / 2
        path.append(f"C{mid:.1f},{lane:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
    elif c2 == c1:  # within the column: loop out into the gap on its right and back along the target's row
        path.append(f"C{rights[c1] + turn:.1f},{y1:.1f} {rights[c1] + turn:.1f},{y2:.1f} {rights[c1]:.1f},{y2:.1f}")
        path.append(f"H{dst_end:.1f}")
    else:  # backwards: out right onto a lane, back along it, into the target's row from its right
        lane = _nearest_lane((y1 + y2) / 2, lanes)
        path.append(f"C{rights[c1] + turn:.1f},{y1:.1f} {rights[c1] + turn:.1f},{lane:.1f} {rights[c1]:.1f},{lane:.1f}")
        path.append(f"H{rights[c2]:.1f}")
        path.append(f"C{rights[c2] + turn:.1f},{lane:.1f} {rights[c2] + turn:.1f},{y2:.1f} {rights[c2]:.1f},{y2:.1f}")
        path.append(f"H{dst_end:.1f}")
    return " ".join(path)


@dataclass(frozen=True)
class TimelineLane:
    lane_id: str
    label: str
    role: str


@dataclass(frozen=True)
class TimelineEvent:
    lane_id: str
    ts: datetime
    amount: float
    direction: str  # "in" or "out"
    title: str = ""


TICK_SIZE = 10
"""Font size (px) of the timeline's tick labels (``.tick``); axis titles are AXIS_SIZE (``.axis``)."""
AXIS_SIZE = 11
_TICK_STEPS = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=7),
)
_LANE_H, _BAR = 30.0, 12.0


def time_ticks(start: datetime, end: datetime, most: int = 8) -> list[datetime]:
    """Round times between ``start`` and ``end``, at the finest of 15 min ... 7 d giving at most ``most``."""
    span = max(end - start, timedelta(minutes=1))
    step = next((s for s in _TICK_STEPS if span / s <= most - 1), _TICK_STEPS[-1])
    midnight = datetime.combine(start.date(), time(), tzinfo=start.tzinfo)
    first = midnight + step * math.ceil((start - midnight) / step)
    ticks = []
    tick = first
    while tick <= end:
        ticks.append(tick)
        tick += step
    return ticks


def _tick_label(tick: datetime, step: timedelta) -> str:
    if step >= timedelta(days=1):
        return f"{tick:%m-%d}"
    return f"{tick:%m-%d %H:%M}" if tick.hour == 0 and tick.minute == 0 else f"{tick:%H:%M}"


def timeline_svg(
    lanes: Sequence[TimelineLane],
    events: Sequence[TimelineEvent],
    *,
    width: int = 960,
    max_lanes: int = 30,
) -> str:
    """Money in and out over time, one lane per account: a bar up for each transfer in, down for each
    out, its height by amount (the largest is the full half-lane), so a reader sees money arrive and
    leave again minutes later, and which account holds it. Axes are labelled; the left margin is as
    wide as the widest lane label, measured."""
    shown = list(lanes[:max_lanes])
    hidden = len(lanes) - len(shown)
    rows = {lane.lane_id: i for i, lane in enumerate(shown)}
    drawn = [e for e in events if e.lane_id in rows]
    margin = max([text_width("account (role)", AXIS_SIZE), *(text_width(lane.label, LABEL_SIZE) for lane in shown)])
    left = _PAD + margin + 12
    right_pad = _PAD + text_width("00-00 00:00", TICK_SIZE) / 2 + 4
    width = math.ceil(max(width, left + 240 + right_pad))
    top = 26.0
    axis_y = top + max(len(shown), 1) * _LANE_H + (16 if hidden else 0)
    height = math.ceil(axis_y + 44)
    plot_w = width - left - right_pad
    if drawn:
        start, end = min(e.ts for e in drawn), max(e.ts for e in drawn)
    else:
        start = end = datetime(1970, 1, 1)
    span = max(end - start, timedelta(minutes=1))
    start, end = start - span * 0.02, end + span * 0.02
    span = end - start

    def x_of(ts: datetime) -> float:
        return left + plot_w * ((ts - start) / span)

    parts = [
        f'<text x="{_PAD:.0f}" y="{top - 10:.0f}" class="axis">account (role)</text>',
        f'<text x="{left:.0f}" y="{top - 10:.0f}" class="axis">bar up: money in, bar down: money out</text>',
        f'<line x1="{left:.1f}" y1="{axis_y:.1f}" x2="{left + plot_w:.1f}" y2="{axis_y:.1f}" class="axisline"/>',
    ]
    ticks = time_ticks(start, end)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else timedelta(days=1)
    for tick in ticks:
        x = x_of(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{axis_y + 4:.1f}" class="grid"/>')
        label = _tick_label(tick, step)
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16:.0f}" text-anchor="middle" class="tick">{label}</text>')
    zone = f" ({start.tzname()})" if start.tzinfo else ""
    title = f"time, {start:%Y-%m-%d} to {end:%Y-%m-%d}{zone}"
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{axis_y + 34:.0f}" text-anchor="middle" class="axis">'
        f"{html.escape(title)}</text>"
    )
    for lane in shown:
        y = top + rows[lane.lane_id] * _LANE_H + _LANE_H / 2
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" class="lane"/>')
        parts.append(f'<text x="{_PAD:.0f}" y="{y + 4:.0f}" class="lbl">{html.escape(lane.label)}</text>')
    if hidden:
        parts.append(f'<text x="{_PAD:.0f}" y="{axis_y - 4:.0f}" class="more">+{hidden} more</text>')
    biggest = max((e.amount for e in drawn), default=1.0) or 1.0
    for e in sorted(drawn, key=lambda e: -e.amount):
        y = top + rows[e.lane_id] * _LANE_H + _LANE_H / 2
        h = max(1.5, _BAR * e.amount / biggest)
        y0, cls = (y - h, "bar-in") if e.direction == "in" else (y, "bar-out")
        tip = html.escape(e.title or f"{e.direction} {e.amount:,.2f} at {e.ts:%Y-%m-%d %H:%M}")
        bar = f'x="{x_of(e.ts) - 1.5:.1f}" y="{y0:.1f}" width="3" height="{h:.1f}" class="{cls}"'
        parts.append(f"<rect {bar}><title>{tip}</title></rect>")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" class="timeline">{"".join(parts)}</svg>'
    )


PAGE_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:24px;color:#222}
h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.edge{fill:none;stroke:#999;stroke-opacity:.6} .lbl{font-size:10px;fill:#333} .colhead{font-size:12px;font-weight:bold}
.more{font-size:11px;fill:#777} .note{color:#666;font-size:12px}
.tag{display:inline-block;padding:1px 6px;border-radius:3px;background:#fee6ce}
.tick{font-size:10px;fill:#555} .axis{font-size:11px;fill:#333} .axisline{stroke:#333}
.grid{stroke:#eee} .lane{stroke:#ddd} .bar-in{fill:#2b8cbe} .bar-out{fill:#e6550d}
a{color:#08519c} .back{font-size:12px}
"""


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page (inline CSS and SVG only)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


@dataclass(frozen=True)
class Link:
    """A table cell that links within the page (``href`` like ``#cluster-3``)."""

    text: str
    href: str


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain HTML table; numbers are right-aligned and formatted with thousands separators, a
    :class:`Link` is a link."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(f'<td class="num">{v:,.2f}</td>')
            elif isinstance(v, int) and not isinstance(v, bool):
                cells.append(f'<td class="num">{v:,}</td>')
            elif isinstance(v, Link):
                cells.append(f'<td><a href="{html.escape(v.href)}">{html.escape(v.text)}</a></td>')
            else:
                cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
