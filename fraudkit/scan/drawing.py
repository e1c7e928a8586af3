"""Money-flow drawings as inline SVG: self-contained, no JavaScript, no CDN, opens offline.

Nodes are laid out in columns by role (victims, collectors, layers, cash-out, cash
points), so a reader sees money move left to right; edge width follows the amount.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

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


def flow_svg(
    nodes: Sequence[DrawNode],
    edges: Sequence[DrawEdge],
    *,
    columns: Sequence[str] = ROLE_COLUMNS,
    max_per_column: int = 30,
    width: int = 960,
) -> str:
    """An SVG of a money flow, nodes in role columns, edges as curves weighted by amount."""
    by_col: dict[int, list[DrawNode]] = {}
    for node in sorted(nodes, key=lambda n: (-n.amount, n.node_id)):
        by_col.setdefault(_column_of(node.role, columns), []).append(node)
    hidden: dict[int, int] = {}
    for col, members in by_col.items():
        if len(members) > max_per_column:
            hidden[col] = len(members) - max_per_column
            by_col[col] = members[:max_per_column]
    rows = max((len(v) + (1 if c in hidden else 0) for c, v in by_col.items()), default=1)
    row_h, top = 26, 40
    height = top + rows * row_h + 20
    col_w = width / max(len(columns), 1)
    pos: dict[str, tuple[float, float]] = {}
    parts: list[str] = []
    for i, name in enumerate(columns):
        x = col_w * i + col_w / 2
        heading = html.escape(name.replace("_", " "))
        parts.append(f'<text x="{x:.0f}" y="18" text-anchor="middle" class="colhead">{heading}</text>')
    for col, members in by_col.items():
        x = col_w * col + col_w / 2
        for r, node in enumerate(members):
            pos[node.node_id] = (x, top + r * row_h + row_h / 2)
        if col in hidden:
            y = top + len(members) * row_h + row_h / 2
            parts.append(f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" class="more">+{hidden[col]} more</text>')
    biggest = max((e.amount for e in edges), default=1.0) or 1.0
    edge_parts: list[str] = []
    for e in sorted(edges, key=lambda e: e.amount):
        if e.src not in pos or e.dst not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        w = 0.8 + 5.0 * math.sqrt(e.amount / biggest)
        mid = (x1 + x2) / 2
        bend = 0 if x1 != x2 else 40
        title = html.escape(e.label or f"{e.amount:,.2f}")
        edge_parts.append(
            f'<path d="M{x1:.0f},{y1:.0f} C{mid + bend:.0f},{y1:.0f} {mid + bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" '
            f'stroke-width="{w:.1f}" class="edge"><title>{title}</title></path>'
        )
    node_parts: list[str] = []
    for node in nodes:
        if node.node_id not in pos:
            continue
        x, y = pos[node.node_id]
        colour = ROLE_COLOURS.get(node.role, "#756bb1")
        label = html.escape(node.label)
        node_parts.append(
            f'<g><circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="{colour}"><title>{label} ({html.escape(node.role)}, '
            f"{node.amount:,.2f})</title></circle>"
            f'<text x="{x + 9:.0f}" y="{y + 4:.0f}" class="lbl">{label}</text></g>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{"".join(parts)}{"".join(edge_parts)}{"".join(node_parts)}</svg>'
    )


PAGE_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:24px;color:#222}
h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.edge{fill:none;stroke:#999;stroke-opacity:.6} .lbl{font-size:10px;fill:#333} .colhead{font-size:12px;font-weight:bold}
.more{font-size:11px;fill:#777} .note{color:#666;font-size:12px}
.tag{display:inline-block;padding:1px 6px;border-radius:3px;background:#fee6ce}
"""


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page (inline CSS and SVG only)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain HTML table; numbers are right-aligned and formatted with thousands separators."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(f'<td class="num">{v:,.2f}</td>')
            elif isinstance(v, int) and not isinstance(v, bool):
                cells.append(f'<td class="num">{v:,}</td>')
            else:
                cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
