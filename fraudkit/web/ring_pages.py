"""The investigators' pages: the tracked rings, one ring's timeline, members and money, and its case.

Rings are read with :mod:`fraudkit.rings.views` and cases changed with :mod:`fraudkit.cases`, the
logged-in operator acting; every account shows as its masked label (the ring tables hold no full
number), and the drawing is the scan report's (:func:`fraudkit.scan.drawing.flow_svg`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import polars as pl
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.engine import Engine

from fraudkit.cases import add_note, get_case, mark_case, open_case
from fraudkit.cases.cases import case_statuses
from fraudkit.ops.schema import CASE_STATUSES, ring_flows, rings
from fraudkit.rings.views import ring_detail, ring_list
from fraudkit.scan.drawing import DrawEdge, DrawNode, flow_svg
from fraudkit.text import plural

EVENT_WORDS = {
    "appeared": "appeared",
    "joined": "joined",
    "found": "found (there before)",
    "left": "left",
    "lost": "lost (unseen, money still in the window)",
    "cash_out_point": "new cash-out point",
    "fraud_number": "new fraud number",
    "split_from": "split from",
    "split_into": "split into",
    "merged_from": "took in",
    "merged_into": "merged into",
    "dormant": "went dormant",
    "reactivated": "active again",
}
"""How a ring event reads on the timeline."""
STATUS_WORDS = {"open": "open", "confirmed": "confirmed", "false_positive": "false positive", "closed": "closed"}

Page = Callable[..., HTMLResponse]
Signed = Callable[..., str]


def ring_router(engine: Engine, page: Page, operator_of: Signed, now: Callable[[], datetime]) -> APIRouter:
    """The ring pages; ``operator_of(request, "rings")`` refuses those whose role works no rings."""
    router = APIRouter()

    def signed(request: Request) -> str:
        return operator_of(request, "rings")

    @router.get("/rings", response_class=HTMLResponse)
    def ring_index(request: Request) -> HTMLResponse:
        name = signed(request)
        cases = case_statuses(engine)
        listed = [_ring_row(row, cases.get(row["ring_id"])) for row in ring_list(engine).iter_rows(named=True)]
        return page(request, "rings.html", operator=name, rings=listed)

    @router.get("/rings/{ring_id}", response_class=HTMLResponse)
    def ring_view(request: Request, ring_id: str, done: str = "") -> HTMLResponse:
        name = signed(request)
        if not _known(engine, ring_id):
            return page(request, "message.html", 404, operator=name, message=f"no ring {ring_id[:16]!r}")
        detail = ring_detail(engine, ring_id)
        case = get_case(engine, ring_id) if ring_id in case_statuses(engine) else None
        latest = detail.snapshots["run_id"][-1]
        return page(
            request,
            "ring.html",
            operator=name,
            ring=_ring_row(detail.ring, (case.case_id, case.status) if case else None),
            timeline=_timeline(detail.snapshots, detail.events),
            members=[_member(m) for m in detail.members.iter_rows(named=True)],
            drawing=_drawing(engine, ring_id, latest, detail.members),
            case=case,
            statuses=[(s, STATUS_WORDS[s]) for s in CASE_STATUSES if case is None or s != case.status],
            status_words=STATUS_WORDS,
            done=done[:40],
        )

    @router.post("/rings/{ring_id}/case")
    def case_open(request: Request, ring_id: str, note: Annotated[str, Form()] = "") -> Response:
        case_id = open_case(engine, ring_id, signed(request), note, now=now())
        return _back(ring_id, f"opened {case_id}")

    @router.post("/rings/{ring_id}/case/mark")
    def case_mark(
        request: Request, ring_id: str, status: Annotated[str, Form()], note: Annotated[str, Form()] = ""
    ) -> Response:
        mark_case(engine, ring_id, status, signed(request), note, now=now())
        return _back(ring_id, STATUS_WORDS.get(status, status))

    @router.post("/rings/{ring_id}/case/note")
    def case_note(request: Request, ring_id: str, note: Annotated[str, Form()]) -> Response:
        add_note(engine, ring_id, note, signed(request), now=now())
        return _back(ring_id, "note added")

    return router


def _back(ring_id: str, done: str) -> Response:
    return RedirectResponse(f"/rings/{quote(ring_id)}?done={quote(done)}", status_code=303)


def _known(engine: Engine, ring_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(rings.c.ring_id).where(rings.c.ring_id == ring_id)).scalar() is not None


def _ring_row(ring: dict[str, Any], case: tuple[str, str] | None) -> dict[str, Any]:
    """A ring as the list and the ring page show it: figures rounded, what changed in words."""
    return {
        "ring_id": ring["ring_id"],
        "status": ring["status"],
        "merged_into": ring.get("merged_into"),
        "split_from": ring.get("split_from"),
        "typology": ring.get("typology") or "",
        "first_seen": _at(ring["first_seen"]),
        "last_seen": _at(ring["last_seen"]),
        "members_now": ring["members_now"],
        "members_ever": ring["members_ever"],
        "money_in": _money(ring["money_in"]),
        "cash_out": _money(ring["cash_out"]),
        "victims": ring["victims"],
        "victims_text": plural(ring["victims"], "victim"),
        "case_id": case[0] if case else None,
        "case_status": STATUS_WORDS.get(case[1], case[1]) if case else "",
        "changed": _changed(ring),
    }


def _changed(ring: dict[str, Any]) -> str:
    """What the newest scan changed (the list's counts; absent on the ring page, which has the timeline)."""
    if "joined" not in ring:
        return ""
    if ring.get("new"):
        return "new ring"
    parts = [
        f"{ring[key]} {word}"
        for key, word in (
            ("joined", "joined"),
            ("found", "found"),
            ("left", "left"),
            ("lost", "lost"),
            ("new_cash_out_points", "new cash-out points"),
            ("new_fraud_numbers", "new fraud numbers"),
        )
        if ring.get(key)
    ]
    if ring.get("money_in_since"):
        parts.append(f"{_money(ring['money_in_since'])} more in")
    return ", ".join(parts) or ("no change" if ring.get("status") == "active" else "")


def _timeline(snapshots: pl.DataFrame, events: pl.DataFrame) -> list[dict[str, Any]]:
    """One entry per scan that saw the ring, newest first, with the events it showed."""
    by_run: dict[str, list[str]] = {}
    for e in events.iter_rows(named=True):
        what = EVENT_WORDS.get(e["kind"], e["kind"])
        subject = e["other_ring"] or e["label"] or ""
        by_run.setdefault(e["run_id"], []).append(f"{what} {subject}".strip())
    return [
        {
            "as_of": _at(s["as_of"]),
            "size": s["size"],
            "money_in": _money(s["money_in"]),
            "cash_out": _money(s["cash_out"]),
            "new_money_in": _money(s["new_money_in"]),
            "victims": s["victims"],
            "events": by_run.get(s["run_id"], []),
        }
        for s in reversed(list(snapshots.iter_rows(named=True)))
    ]


def _member(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": m["label"],
        "role": m.get("role") or "",
        "money_in": _money(m["money_in"]),
        "money_out": _money(m["money_out"]),
        "first_seen": _at(m["first_seen"]),
    }


def _drawing(engine: Engine, ring_id: str, run_id: str, members: pl.DataFrame) -> str:
    """The latest snapshot's money, victims on the left and cash points on the right, labels masked."""
    query = select(ring_flows).where(ring_flows.c.ring_id == ring_id, ring_flows.c.run_id == run_id)
    with engine.connect() as conn:
        flows = [dict(r) for r in conn.execute(query).mappings()]
    nodes = {
        m["account"]: DrawNode(m["account"], m["label"], m.get("role") or "layer", m["money_in"] or 0.0)
        for m in members.iter_rows(named=True)
    }
    outside = {"entry": ("src", "victim"), "exit": ("dst", "cash_point")}
    for f in flows:
        if f["flow"] in outside:
            end, role = outside[f["flow"]]
            nodes.setdefault(f[end], DrawNode(f[end], f[f"{end}_label"] or "", role, f["amount"]))
    edges = [DrawEdge(f["src"], f["dst"], f["amount"], f"{f['amount']:,.2f}") for f in flows]
    return flow_svg(list(nodes.values()), edges)


def _at(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _money(amount: float | None) -> str:
    return "" if amount is None else f"{amount:,.0f}"
