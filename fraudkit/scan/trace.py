"""Money trace: follow a victim's money forward, hop by hop, to where it was cashed out.

Semantics, chosen so that money is conserved and every number can be checked by hand:

- Time-respecting: money that reached an account at time ``t`` can only leave by a
  transfer with ``t <= ts <= t + within``. Each hop has its own window (the bound is
  per hop, not ``start + within * hops``), so a slow ring is followed as long as every
  account moves the money on within ``within``.
- Traced money leaves first (FIFO on the traced balance): an account's outgoing
  transfers, in time order, carry the traced money it holds until that runs out, so
  the traced amount out of an account never exceeds the traced amount that came in.
  Within one hop the arrivals at an account form one pool: a transfer may carry any
  traced money that arrived before it, provided some arrival is within ``within``.
- A transfer's traced amounts over all hops never exceed its amount, so money that
  comes back round a cycle is attributed again only to transfers with money left in
  them; the trace ends after ``hops`` hops in any case.
- It stops at cash-out: a transfer through an ``atm`` or ``third_party`` channel, or
  into a cash point (an account that never sends money and receives withdrawals).
- Only transfers with status ``success`` (or no status) move money; pieces smaller
  than ``min_amount`` are not followed and count as held where they were.

Each hop is one DuckDB query (outgoing transfers of the frontier accounts, joined to a
registered frame of their windows) and one Polars allocation, never a Python loop
over transfers. Account numbers are masked in every rendering unless ``reveal``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

import duckdb
import polars as pl
from rich.text import Text
from rich.tree import Tree

from fraudkit.atomic import write_file, write_text
from fraudkit.engine.sql import trace as sql
from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.exposure import Reveal, mask_frame, mask_id, revealed
from fraudkit.scan.drawing import DrawEdge, DrawNode, flow_svg, html_table, page
from fraudkit.scan.flows import CASH_OUT_CHANNELS
from fraudkit.store import frame, registered, row_count
from fraudkit.timeutil import format_duration

DEFAULT_HOPS = 6
DEFAULT_WITHIN = timedelta(hours=48)
REPORT_LOOKBACK = timedelta(days=7)
"""Without a known fraud account, a report's trace starts from the victim's transfers this long before it."""

Shower = Callable[[str | None], str]
_EPS = 1e-9
_NOISE = 1e-6
"""Held amounts below this (a millionth of a unit) are float noise of the FIFO sums, not money: zero."""
FLOW_SCHEMA: dict[str, pl.DataType] = {
    "hop": pl.Int32(),
    "parent_account": pl.Utf8(),
    "account": pl.Utf8(),
    "txn_id": pl.Utf8(),
    "ts": pl.Datetime("us"),
    "amount": pl.Float64(),
    "traced_amount": pl.Float64(),
    "channel": pl.Utf8(),
    "is_cash_out": pl.Boolean(),
}
REACHED_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.Utf8(),
    "min_hop": pl.Int32(),
    "traced_amount_in": pl.Float64(),
    "traced_amount_out": pl.Float64(),
    "cashed_out": pl.Float64(),
    "beyond_hop_limit": pl.Float64(),
    "held": pl.Float64(),
    "is_cash_out_point": pl.Boolean(),
}
"""Per account: ``traced_amount_in = traced_amount_out + cashed_out + beyond_hop_limit + held``, where
``cashed_out`` is what reached it by a cash-out transfer (gone), ``beyond_hop_limit`` what reached it in the
last hop (not followed) and ``held`` what stayed (never negative)."""
_CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "txn_id": pl.Utf8(),
    "ts": pl.Datetime("us"),
    "src_account": pl.Utf8(),
    "dst_account": pl.Utf8(),
    "amount": pl.Float64(),
    "channel": pl.Utf8(),
}


@dataclass
class TraceResult:
    """Where a victim's money went: one row per traced hop, and the totals per account."""

    origin: str
    start: datetime
    flows: pl.DataFrame
    reached: pl.DataFrame
    total_out: float
    hops: int = DEFAULT_HOPS
    within: timedelta = DEFAULT_WITHIN

    @property
    def accounts_reached(self) -> int:
        """Accounts the traced money reached, the origin not counted (its row in ``reached`` is hop 0)."""
        return self.reached.filter(pl.col("account") != self.origin).height

    @cached_property
    def _split_cents(self) -> tuple[int, int, int]:
        """Cashed out, at the hop limit, held: in cents, adding up exactly to ``total_out`` in cents."""
        parts = [float(self.reached[c].sum()) for c in ("cashed_out", "beyond_hop_limit", "held")]
        cashed, limit, held = apportion_cents(cents(self.total_out), parts)
        return cashed, limit, held

    @property
    def cashed_out(self) -> float:
        """Traced money that ended in cash-out transfers (ATM, third-party platform, cash point), to the cent."""
        return self._split_cents[0] / 100

    @property
    def at_hop_limit(self) -> float:
        """Traced money the trace stopped following because it reached the last hop, to the cent."""
        return self._split_cents[1] / 100

    @property
    def held(self) -> float:
        """Traced money left in accounts (not moved on within the window, or dust below min_amount), to the
        cent; never negative, and ``cashed_out + at_hop_limit + held`` is ``total_out`` to the cent."""
        return self._split_cents[2] / 100


# --- public API ----------------------------------------------------------------------------


def trace_account(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    *,
    hops: int = DEFAULT_HOPS,
    within: timedelta = DEFAULT_WITHIN,
    since: datetime | None = None,
    min_amount: float = 1.0,
) -> TraceResult:
    """Trace the money ``account_id`` sent: with ``since``, its transfers in ``[since, since + within]``
    (the origin is treated as having received the money at ``since``); without, all of them."""
    _check_options(hops, within, min_amount)
    _require_transactions(con)
    hi = since + within if since is not None else None
    seeds = _seed_transfers(con, account_id, lo=since, hi=hi)
    if seeds.is_empty():
        when = f" between {since:%Y-%m-%d %H:%M} and {hi:%Y-%m-%d %H:%M}" if since is not None and hi else ""
        raise NotReadyError(
            f"account {mask_id(account_id)} sent no successful transfers{when}",
            hint="check the account number, or start earlier (--as-of) or with a wider window (--within)",
        )
    return _follow(con, account_id, seeds, hops=hops, within=within, min_amount=min_amount)


def trace_report(
    con: duckdb.DuckDBPyConnection,
    report_id: str,
    *,
    hops: int = DEFAULT_HOPS,
    within: timedelta = DEFAULT_WITHIN,
    min_amount: float = 1.0,
    lookback: timedelta = REPORT_LOOKBACK,
) -> TraceResult:
    """Trace a reported case from the victim's account: its transfers to the reported fraud account
    up to ``reported_at`` when there are any, else all its transfers in ``lookback`` before the report."""
    _check_options(hops, within, min_amount)
    _require_transactions(con)
    report = _report(con, report_id)
    victim, reported_at = report["victim_account"], report["reported_at"]
    seeds = pl.DataFrame(schema=_CANDIDATE_SCHEMA)
    if report["fraud_account"]:
        seeds = _seed_transfers(con, victim, lo=None, hi=reported_at, dst=report["fraud_account"])
    if seeds.is_empty():
        seeds = _seed_transfers(con, victim, lo=reported_at - lookback, hi=reported_at)
    if seeds.is_empty():
        raise NotReadyError(
            f"report {report_id!r}: victim account {mask_id(victim)} sent no successful transfers "
            f"in the {format_duration(lookback)} before {reported_at:%Y-%m-%d %H:%M}",
            hint="check that the bank's transfers for that period are ingested, or trace with --account",
        )
    return _follow(con, victim, seeds, hops=hops, within=within, min_amount=min_amount)


@dataclass
class TreeBranch:
    """One line of the trace tree: money that went from its parent line's account to ``account`` at ``hop``.

    In cents, and adding up: ``amount = cashed_out + sum(child amounts) + more_amount + rest``, where
    ``rest`` stayed in the account (held) or, at the last hop, was not followed (``rest_is_limit``).
    Money arriving at an account in one hop is pooled; an account with several senders passes each
    sender's share of what it sent on in proportion to what that sender brought.
    """

    hop: int
    account: str
    amount: int
    cashed_out: int = 0
    rest: int = 0
    rest_is_limit: bool = False
    senders: int = 1
    children: list[TreeBranch] | None = None
    more: int = 0
    more_amount: int = 0


def tree_branches(result: TraceResult, *, max_children: int = 12, max_lines: int = 400) -> TreeBranch:
    """The trace as a tree of :class:`TreeBranch` whose figures add up at every line (root: the origin)."""
    edges = result.flows.group_by("hop", "parent_account", "account").agg(
        pl.col("traced_amount").sum().alias("traced"),
        pl.col("traced_amount").filter(pl.col("is_cash_out")).sum().alias("cashed"),
    )
    pools = edges.group_by("hop", "account").agg((pl.col("traced") - pl.col("cashed")).sum().alias("pool"), pl.len())
    pool = {(r["hop"], r["account"]): (r["pool"], r["len"]) for r in pools.iter_rows(named=True)}
    pool[(0, result.origin)] = (result.total_out, 1)
    out: dict[tuple[int, str], list[dict]] = {}
    for e in edges.sort(["traced", "account"], descending=[True, False]).iter_rows(named=True):
        out.setdefault((e["hop"] - 1, e["parent_account"]), []).append(e)
    root = TreeBranch(0, result.origin, cents(result.total_out))
    lines = 1
    # each entry: a branch, the exact amount it carries, its exact cashed-out part
    stack: list[tuple[TreeBranch, float, float]] = [(root, result.total_out, 0.0)]
    while stack:
        branch, exact, cashed = stack.pop()
        held_pool, _ = pool.get((branch.hop, branch.account), (0.0, 1))
        share = (exact - cashed) / held_pool if held_pool > _EPS else 0.0
        kids = out.get((branch.hop, branch.account), []) if branch.hop < result.hops else []
        kid_exact = [share * k["traced"] for k in kids]
        rest = max(exact - cashed - sum(kid_exact), 0.0)
        split = apportion_cents(branch.amount, [cashed, *kid_exact, rest])
        branch.cashed_out, branch.rest = split[0], split[-1]
        branch.rest_is_limit = branch.hop >= result.hops
        branch.children = []
        room = max(min(max_children, max_lines - lines), 0)
        for k, amount, part in zip(kids, split[1:-1], kid_exact, strict=True):
            if amount <= 0 or len(branch.children) >= room:
                branch.more += 1
                branch.more_amount += amount
                continue
            child = TreeBranch(k["hop"], k["account"], amount, senders=pool[(k["hop"], k["account"])][1])
            branch.children.append(child)
            stack.append((child, part, share * k["cashed"]))
        lines += len(branch.children)
    return root


def trace_tree(result: TraceResult, *, reveal: Reveal | None = None, max_children: int = 12) -> Tree:
    """The trace as a terminal tree: each line is the money that went from the line above to an account,
    what of it was cashed out, sent on (the lines below), held or left at the hop limit, adding up."""
    show = _shower(reveal)
    top = tree_branches(result, max_children=max_children)
    root = Tree(
        Text(f"{show(result.origin)}  sent {top.amount / 100:,.2f} from {result.start:%Y-%m-%d %H:%M}", style="bold")
    )
    stack: list[tuple[Tree, TreeBranch]] = [(root, top)]
    while stack:
        tree, branch = stack.pop()
        for child in branch.children or []:
            sub = tree.add(_tree_label(child, show))
            stack.append((sub, child))
        if branch.more:
            noun = "account" if branch.more == 1 else "accounts"
            tree.add(Text(f"+{branch.more} more {noun}, {branch.more_amount / 100:,.2f}", style="dim"))
    return root


def trace_html(result: TraceResult, *, reveal: Reveal | None = None, max_rows: int = 500) -> str:
    """A self-contained page: the flow drawn in columns by hop, a summary and the tables."""
    show = _shower(reveal)
    summary = html_table(
        ["origin", "start", "traced out", "cashed out", "held in accounts", "at hop limit", "accounts reached", "hops"],
        [
            [
                show(result.origin),
                f"{result.start:%Y-%m-%d %H:%M:%S}",
                result.total_out,
                result.cashed_out,
                result.held,
                result.at_hop_limit,
                result.accounts_reached,
                f"{int(result.flows['hop'].max() or 0)} of {result.hops}, each within {format_duration(result.within)}",
            ]
        ],
    )
    reached = result.reached.sort("traced_amount_in", descending=True).head(max_rows)
    reached_rows = [
        [show(r["account"]), r["min_hop"], *_account_figures(r), _account_note(r)]
        for r in reached.iter_rows(named=True)
    ]
    flows = result.flows.head(max_rows)
    flow_rows = [
        [
            r["hop"],
            show(r["parent_account"]),
            show(r["account"]),
            r["txn_id"],
            f"{r['ts']:%Y-%m-%d %H:%M:%S}",
            r["amount"],
            r["traced_amount"],
            r["channel"],
            "cash-out" if r["is_cash_out"] else "",
        ]
        for r in flows.iter_rows(named=True)
    ]
    body = (
        summary
        + "<h2>Flow</h2>"
        + _trace_svg(result, show)
        + '<p class="note">Columns are hops; edge width follows the traced amount. Traced money leaves an account '
        "first (FIFO) and only within the time window after it arrived.</p>"
        + f"<h2>Accounts reached ({result.accounts_reached}), and the origin</h2>"
        + html_table(
            ["account", "first hop", "traced in", "sent on", "cashed out", "beyond hop limit", "held", ""], reached_rows
        )
        + _truncated_note(result.reached.height, max_rows)
        + f"<h2>Traced transfers ({result.flows.height})</h2>"
        + html_table(["hop", "from", "to", "transfer", "time", "amount", "traced", "channel", ""], flow_rows)
        + _truncated_note(result.flows.height, max_rows)
    )
    return page(f"Money trace from {show(result.origin)}", body)


def check_trace_output(out: str | Path) -> Path:
    """Refuse a file name the trace cannot be written to, before any work (or audit) is done."""
    out = Path(out)
    if out.suffix.lower() not in (".csv", ".parquet", ".html"):
        raise ConfigError(
            f"cannot write a trace to {out}: name it .csv, .parquet or .html", hint="e.g. --out trace.csv"
        )
    return out


def write_trace(result: TraceResult, out: Path, *, reveal: Reveal | None = None) -> Path:
    """Write the traced transfers to ``.csv``, ``.parquet`` or ``.html`` (by suffix), atomically;
    accounts masked unless revealed (a grant of ``exposure.reveal``)."""
    out = check_trace_output(out)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        return write_text(out, trace_html(result, reveal=reveal))
    flows = result.flows if revealed(reveal) else mask_frame(result.flows)
    return write_file(out, flows.write_csv if suffix == ".csv" else flows.write_parquet)


def allocate(lots: pl.DataFrame, candidates: pl.DataFrame, within: timedelta) -> pl.DataFrame:
    """Attribute traced money to outgoing transfers, FIFO per account (pure function of two frames).

    ``lots`` (account, arrived, traced) is the traced money arriving this hop; ``candidates`` holds
    the accounts' outgoing transfers with ``capacity`` (amount not yet attributed by earlier hops).
    With I the traced money arrived by each transfer and A the running capacity, the traced money
    out up to a transfer is ``T = A + min(0, cummin(I - A))``: the clipped running balance.
    """
    pooled = (
        lots.group_by("account", "arrived")
        .agg(pl.col("traced").sum())
        .sort("account", "arrived")
        .with_columns(pl.col("traced").cum_sum().over("account").alias("arrived_total"))
        .sort("arrived")
    )
    eligible = (
        candidates.sort("ts")
        .join_asof(
            pooled.select("account", "arrived", "arrived_total"),
            left_on="ts",
            right_on="arrived",
            by_left="src_account",
            by_right="account",
            strategy="backward",
            check_sortedness=False,
        )
        .filter(
            pl.col("arrived").is_not_null() & (pl.col("ts") <= pl.col("arrived") + within) & (pl.col("capacity") > _EPS)
        )
        .sort("src_account", "ts", "txn_id")
    )
    running = pl.col("capacity").cum_sum().over("src_account")
    shortfall = pl.min_horizontal(0.0, (pl.col("arrived_total") - pl.col("_a")).cum_min().over("src_account"))
    return (
        eligible.with_columns(running.alias("_a"))
        .with_columns((pl.col("_a") + shortfall).alias("_t"))
        .with_columns(
            (pl.col("_t") - pl.col("_t").shift(1, fill_value=0.0).over("src_account"))
            .clip(0.0, pl.col("capacity"))
            .alias("traced_amount")
        )
        .drop("_a", "_t", "arrived", "arrived_total", "account", strict=False)
    )


# --- the walk ------------------------------------------------------------------------------


def _follow(
    con: duckdb.DuckDBPyConnection,
    origin: str,
    seeds: pl.DataFrame,
    *,
    hops: int,
    within: timedelta,
    min_amount: float,
) -> TraceResult:
    """Walk hop by hop from the seed transfers (hop 1, traced in full) until cash-out or ``hops``."""
    seeds = seeds.filter(pl.col("amount") >= min_amount)
    if seeds.is_empty():
        raise NotReadyError(
            f"account {mask_id(origin)} sent nothing of at least {min_amount:,.2f} to trace",
            hint="lower min_amount",
        )
    hop_rows = _as_flows(seeds.with_columns(pl.col("amount").alias("traced_amount")), 1)
    parts = [hop_rows]
    used = hop_rows.select("txn_id", pl.col("traced_amount").alias("used"))
    for hop in range(2, hops + 1):
        lots = hop_rows.filter(~pl.col("is_cash_out")).select(
            pl.col("account"), pl.col("ts").alias("arrived"), pl.col("traced_amount").alias("traced")
        )
        if lots.is_empty():
            break
        candidates = (
            _outgoing(con, lots, within)
            .join(used, on="txn_id", how="left")
            .with_columns((pl.col("amount") - pl.col("used").fill_null(0.0)).alias("capacity"))
        )
        moved = allocate(lots, candidates, within).filter(pl.col("traced_amount") >= max(min_amount, _EPS))
        hop_rows = _as_flows(moved, hop)
        parts.append(hop_rows)
        used = (
            pl.concat([used, hop_rows.select("txn_id", pl.col("traced_amount").alias("used"))])
            .group_by("txn_id")
            .agg(pl.col("used").sum())
        )
    flows = _mark_cash_points(con, pl.concat(parts).sort("hop", "ts", "txn_id"))
    total_out = float(seeds["amount"].sum())
    return TraceResult(
        origin=origin,
        start=seeds["ts"].min(),
        flows=flows,
        reached=_reached(origin, flows, total_out, hops),
        total_out=total_out,
        hops=hops,
        within=within,
    )


def _as_flows(rows: pl.DataFrame, hop: int) -> pl.DataFrame:
    """Transfers with their traced amount, shaped as flow rows of one hop."""
    return rows.select(
        pl.lit(hop, dtype=pl.Int32).alias("hop"),
        pl.col("src_account").alias("parent_account"),
        pl.col("dst_account").alias("account"),
        "txn_id",
        "ts",
        "amount",
        "traced_amount",
        "channel",
        pl.col("channel").is_in(CASH_OUT_CHANNELS).fill_null(False).alias("is_cash_out"),
    ).cast(FLOW_SCHEMA)


def _reached(origin: str, flows: pl.DataFrame, total_out: float, hops: int) -> pl.DataFrame:
    """Per account: first hop, traced in and out, and where the rest of what came in went: cashed out
    (arrived by a cash-out transfer), beyond the hop limit (arrived in the last hop) or held (stayed).
    The origin's "in" is the money it sent plus any that came back, so cashed out, beyond the hop limit
    and held sum to ``total_out`` over all accounts."""
    stopped = pl.col("is_cash_out")
    into = flows.group_by("account").agg(
        pl.col("hop").min().alias("min_hop"),
        pl.col("traced_amount").sum().alias("traced_amount_in"),
        pl.col("traced_amount").filter(stopped).sum().alias("cashed_out"),
        pl.col("traced_amount").filter(~stopped & (pl.col("hop") >= hops)).sum().alias("beyond_hop_limit"),
        stopped.any().alias("is_cash_out_point"),
    )
    out = flows.group_by(pl.col("parent_account").alias("account")).agg(
        pl.col("traced_amount").sum().alias("traced_amount_out")
    )
    seeded = ("account", "min_hop", "traced_amount_in", "cashed_out", "beyond_hop_limit", "is_cash_out_point")
    seed = pl.DataFrame(
        {
            "account": [origin],
            "min_hop": [0],
            "traced_amount_in": [total_out],
            "cashed_out": [0.0],
            "beyond_hop_limit": [0.0],
            "is_cash_out_point": [False],
        },
        schema={k: REACHED_SCHEMA[k] for k in seeded},
    )
    accounts = (
        pl.concat([seed, into.select(seeded).cast({"min_hop": pl.Int32})])
        .group_by("account")
        .agg(
            pl.col("min_hop").min(),
            pl.col("traced_amount_in").sum(),
            pl.col("cashed_out").sum(),
            pl.col("beyond_hop_limit").sum(),
            pl.col("is_cash_out_point").any(),
        )
    )
    rest = pl.col("traced_amount_in") - pl.col("traced_amount_out") - pl.col("cashed_out") - pl.col("beyond_hop_limit")
    return (
        accounts.join(out, on="account", how="left")
        .with_columns(pl.col("traced_amount_out").fill_null(0.0))
        .with_columns(pl.when(rest > _NOISE).then(rest).otherwise(0.0).alias("held"))
        .select(list(REACHED_SCHEMA))
        .sort(["min_hop", "traced_amount_in", "account"], descending=[False, True, False])
    )


def cents(amount: float) -> int:
    """An amount in whole cents."""
    return round(amount * 100)


def apportion_cents(total: int, parts: Sequence[float]) -> list[int]:
    """Split ``total`` cents into whole cents in proportion to ``parts`` (amounts, negatives as zero), by
    largest remainder: the results are never negative and sum to ``total`` exactly, so figures shown to
    the cent add up. With no positive part, everything goes to the last one."""
    weights = [max(p, 0.0) for p in parts]
    scale = sum(weights)
    if not parts:
        return []
    if scale <= 0:
        return [0] * (len(parts) - 1) + [total]
    exact = [w * total / scale for w in weights]
    whole = [math.floor(x) for x in exact]
    for i in sorted(range(len(parts)), key=lambda i: (whole[i] - exact[i], i))[: total - sum(whole)]:
        whole[i] += 1
    return whole


# --- queries -------------------------------------------------------------------------------


def _seed_transfers(
    con: duckdb.DuckDBPyConnection,
    account: str,
    *,
    lo: datetime | None,
    hi: datetime | None,
    dst: str | None = None,
) -> pl.DataFrame:
    """The origin's successful outgoing transfers in ``[lo, hi]`` (open ends when None), optionally to ``dst``."""
    query = sql.seed_transfers(since=lo is not None, until=hi is not None, to=dst is not None)
    bounds = {"lo": lo, "hi": hi, "dst": dst}
    params = {"account": account} | {name: value for name, value in bounds.items() if value is not None}
    return _typed(frame(con, query, params), _CANDIDATE_SCHEMA)


def _outgoing(con: duckdb.DuckDBPyConnection, lots: pl.DataFrame, within: timedelta) -> pl.DataFrame:
    """Successful transfers out of the lots' accounts inside each account's windows of this hop."""
    windows = lots.group_by("account").agg(
        pl.col("arrived").min().alias("lo"), (pl.col("arrived").max() + within).alias("hi")
    )
    lo, hi = windows["lo"].min(), windows["hi"].max()
    with registered(con, windows, "trace") as name:
        return _typed(frame(con, sql.outgoing(name), [lo, hi]), _CANDIDATE_SCHEMA)


def _mark_cash_points(con: duckdb.DuckDBPyConnection, flows: pl.DataFrame) -> pl.DataFrame:
    """Flag transfers into cash points: accounts that never send money and receive ATM or
    third-party withdrawals (a bank's cash account, a platform's settlement account)."""
    candidates = flows.filter(~pl.col("is_cash_out")).select("account").unique()
    if candidates.is_empty():
        return flows
    with registered(con, candidates, "trace") as name:
        points = frame(con, sql.cash_points(name))["account"]
    return flows.with_columns(pl.col("is_cash_out") | pl.col("account").is_in(points.implode()))


def _report(con: duckdb.DuckDBPyConnection, report_id: str) -> dict:
    """The report's victim account, fraud account and time, or a clear error saying what is missing."""
    if not row_count(con, "reports"):
        raise NotReadyError(
            f"no report {report_id!r}: the store holds no reports",
            hint="ingest the reports file first: `fraudkit ingest reports FILE`",
        )
    rows = frame(con, sql.REPORT, [report_id])
    if rows.is_empty():
        raise ConfigError(f"no report {report_id!r} in the store", hint="check the case number (report_id)")
    report = rows.row(0, named=True)
    if not report["victim_account"]:
        raise NotReadyError(
            f"report {report_id!r} has no victim account to trace from",
            hint="trace the account the victim paid instead, with --account",
        )
    return report


def _require_transactions(con: duckdb.DuckDBPyConnection) -> None:
    if not row_count(con, "transactions"):
        raise NotReadyError("no transactions to trace", hint="ingest the bank transfers first: `fraudkit ingest`")


def _typed(data: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast a query result to a fixed schema (an empty result comes back with loose types)."""
    if data.is_empty():
        return pl.DataFrame(schema=schema)
    return data.select(list(schema)).cast(schema)


def _check_options(hops: int, within: timedelta, min_amount: float) -> None:
    if hops < 1:
        raise ConfigError(f"hops must be at least 1, not {hops}", hint="e.g. --hops 6")
    if within <= timedelta(0):
        raise ConfigError(f"the time window must be positive, not {format_duration(within)}", hint="e.g. --within 48h")
    if min_amount < 0:
        raise ConfigError(f"min_amount must not be negative, not {min_amount}")


# --- rendering -----------------------------------------------------------------------------


def _shower(reveal: Reveal | None) -> Shower:
    """How account numbers are shown: as they are when revealed, masked otherwise."""
    if revealed(reveal):
        return lambda account: account or ""
    return lambda account: mask_id(account) or ""


def _hop_nodes(flows: pl.DataFrame) -> pl.DataFrame:
    """One node per (hop, account): traced money in at that hop, the parent that sent most of it."""
    return (
        flows.group_by("hop", "account", "parent_account")
        .agg(pl.col("traced_amount").sum().alias("sent"), pl.col("is_cash_out").any().alias("cash_out"))
        .sort(["hop", "sent", "parent_account"], descending=[False, True, False])
        .group_by("hop", "account", maintain_order=True)
        .agg(
            pl.col("parent_account").first(),
            pl.col("sent").sum().alias("traced_in"),
            pl.col("cash_out").any(),
            pl.len().alias("parents"),
        )
        .sort(["hop", "traced_in", "account"], descending=[False, True, False])
    )


def _tree_label(branch: TreeBranch, show: Shower) -> Text:
    label = Text(f"{show(branch.account)}  {branch.amount / 100:,.2f}")
    if branch.senders > 1:
        label.append(f"  (with money from {branch.senders} senders)", style="dim")
    if branch.cashed_out == branch.amount:
        label.append("  cash-out", style="bold red")
    elif branch.cashed_out:
        label.append(f"  cashed out {branch.cashed_out / 100:,.2f}", style="bold red")
    what = "beyond the hop limit" if branch.rest_is_limit else "held"
    if branch.rest == branch.amount:
        label.append(f"  {what}", style="dim")
    elif branch.rest:
        label.append(f"  {what} {branch.rest / 100:,.2f}", style="dim")
    return label


def _trace_svg(result: TraceResult, show: Shower) -> str:
    """The flow drawing: one column per hop, one node per (hop, account)."""
    nodes = _hop_nodes(result.flows)
    last = int(nodes["hop"].max() or 0)
    columns = ["origin", *(f"hop {h}" for h in range(1, last + 1))]
    draw_nodes = [DrawNode(f"0:{result.origin}", show(result.origin), "origin", result.total_out)]
    draw_nodes += [
        DrawNode(
            f"{n['hop']}:{n['account']}",
            show(n["account"]) + (" (cash-out)" if n["cash_out"] else ""),
            f"hop {n['hop']}",
            n["traced_in"],
        )
        for n in nodes.iter_rows(named=True)
    ]
    edges = (
        result.flows.group_by("hop", "parent_account", "account")
        .agg(pl.col("traced_amount").sum())
        .iter_rows(named=True)
    )
    draw_edges = [
        DrawEdge(f"{e['hop'] - 1}:{e['parent_account']}", f"{e['hop']}:{e['account']}", e["traced_amount"])
        for e in edges
    ]
    return flow_svg(draw_nodes, draw_edges, columns=columns)


def _account_figures(row: dict) -> list[float]:
    """An account's traced in, sent on, cashed out, beyond the hop limit and held, to the cent, so that
    the four parts add up to what came in exactly."""
    total = cents(row["traced_amount_in"])
    parts = [row[c] for c in ("traced_amount_out", "cashed_out", "beyond_hop_limit", "held")]
    return [total / 100, *(c / 100 for c in apportion_cents(total, parts))]


def _account_note(row: dict) -> str:
    if row["is_cash_out_point"]:
        return "cash-out"
    return "hop limit" if row["beyond_hop_limit"] > 0 else ""


def _truncated_note(total: int, shown: int) -> str:
    if total <= shown:
        return ""
    return f'<p class="note">{html.escape(f"showing the first {shown:,} of {total:,} rows")}</p>'
