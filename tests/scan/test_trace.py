"""Money trace: conservation, time windows, hop limits, cycles, cash-out, rendering and masking.

Hand-built transfer tables pin each rule down; a property test checks the vectorised walk
against a plain-Python oracle of the same rules on random transfer graphs; a small synthetic
world checks that a victim's money is followed through its ring to the ring's cash-out.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from fraudkit.backend import DuckDBBackend
from fraudkit.errors import ConfigError, FraudkitError, NotReadyError
from fraudkit.exposure import mask_account, reveal, reveal_if
from fraudkit.scan.trace import (
    TraceResult,
    TreeBranch,
    trace_account,
    trace_html,
    trace_report,
    trace_tree,
    tree_branches,
    write_trace,
)
from fraudkit.store import connect, ensure_schema

T0 = datetime(2026, 10, 1, 8, 0)
TOL = 1e-6


@dataclass(frozen=True)
class Txn:
    txn_id: str
    minutes: int
    src: str
    dst: str
    amount: float
    channel: str = "mobile"
    status: str | None = "success"

    @property
    def ts(self) -> datetime:
        return T0 + timedelta(minutes=self.minutes)


def load(con: duckdb.DuckDBPyConnection, txns: list[Txn]) -> duckdb.DuckDBPyConnection:
    con.executemany(
        "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, 'CNY', ?, ?)",
        [[t.txn_id, t.ts, t.src, t.dst, t.amount, t.channel, t.status] for t in txns],
    )
    return con


@pytest.fixture
def store(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "s.duckdb")
    yield con
    con.close()


def traced(result: TraceResult) -> dict[str, float]:
    """txn_id -> traced amount (each txn traced once in these small cases)."""
    return dict(zip(result.flows["txn_id"], result.flows["traced_amount"], strict=True))


def account_row(result: TraceResult, account: str) -> dict:
    return result.reached.filter(pl.col("account") == account).row(0, named=True)


def check_invariants(result: TraceResult, hops: int, within: timedelta) -> None:
    """What must hold for any trace: money conserved, windows respected, cash-out ends a path."""
    flows, reached = result.flows, result.reached
    assert (flows["traced_amount"] > 0).all()
    per_txn = flows.group_by("txn_id").agg(pl.col("traced_amount").sum(), pl.col("amount").first())
    assert (per_txn["traced_amount"] <= per_txn["amount"] + TOL).all()
    assert (reached["traced_amount_out"] <= reached["traced_amount_in"] + TOL).all()
    assert (reached["held"] >= 0).all()
    parts = reached["traced_amount_out"] + reached["cashed_out"] + reached["beyond_hop_limit"] + reached["held"]
    assert (parts - reached["traced_amount_in"]).abs().max() <= TOL, "an account's in is not out + where the rest went"
    ended = reached["cashed_out"].sum() + reached["beyond_hop_limit"].sum() + reached["held"].sum()
    assert ended == pytest.approx(result.total_out, abs=TOL)
    assert reached["cashed_out"].sum() == pytest.approx(flows.filter(pl.col("is_cash_out"))["traced_amount"].sum())
    assert min(result.held, result.cashed_out, result.at_hop_limit) >= 0
    shown = [round(x * 100) for x in (result.total_out, result.cashed_out, result.at_hop_limit, result.held)]
    assert shown[0] == sum(shown[1:]), "the summary's figures do not add up to the cent"
    assert result.cashed_out == pytest.approx(reached["cashed_out"].sum(), abs=0.01)
    assert result.held == pytest.approx(reached["held"].sum(), abs=0.01)
    assert flows["hop"].max() <= hops
    hop1 = flows.filter(pl.col("hop") == 1)
    assert hop1["traced_amount"].sum() == pytest.approx(result.total_out)
    assert (hop1["parent_account"] == result.origin).all()
    arrivals = flows.filter(~pl.col("is_cash_out")).select(
        (pl.col("hop") + 1).alias("hop"), pl.col("account").alias("parent_account"), pl.col("ts").alias("arrived")
    )
    later = flows.filter(pl.col("hop") > 1).with_row_index("row")
    ok = (
        later.join(arrivals, on=["hop", "parent_account"])
        .filter((pl.col("arrived") <= pl.col("ts")) & (pl.col("ts") <= pl.col("arrived") + within))
        .select("row")
        .unique()
    )
    assert ok.height == later.height, "a hop left an account before the money arrived or after the window"


# --- hand-built cases ------------------------------------------------------------------------


def test_chain_with_splits_conserves_and_splits_fifo(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("t0", -60, "A", "Z", 500),  # A's own money, before the victim's arrived
            Txn("t1", 0, "V", "A", 1000),
            Txn("t2", 10, "A", "B", 600),
            Txn("t3", 20, "A", "C", 600),  # only 400 of the victim's money is left for this one
            Txn("t4", 30, "A", "D", 300),  # nothing left: not followed
            Txn("t5", 40, "B", "E", 250),
            Txn("t6", 50, "B", "F", 350),
            Txn("t7", 60, "F", "ATM1", 300, channel="atm"),
        ],
    )
    result = trace_account(store, "V")
    assert traced(result) == {"t1": 1000, "t2": 600, "t3": 400, "t5": 250, "t6": 350, "t7": 300}
    assert result.total_out == 1000
    assert result.start == T0
    assert account_row(result, "A")["traced_amount_out"] == pytest.approx(1000)
    assert account_row(result, "C")["held"] == pytest.approx(400)
    assert account_row(result, "F")["held"] == pytest.approx(50)
    assert result.reached.filter(pl.col("account") == "V")["min_hop"].item() == 0
    assert result.cashed_out == pytest.approx(300)
    assert result.held == pytest.approx(700)
    check_invariants(result, 6, timedelta(hours=48))


def test_money_arriving_in_pieces_is_pooled(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("p1", 0, "V", "A", 300),
            Txn("p2", 60, "V", "B", 700),
            Txn("q1", 70, "A", "C", 300),
            Txn("q2", 80, "B", "C", 700),
            Txn("o1", 30, "C", "X", 1000),  # before any traced money reached C
            Txn("o2", 75, "C", "Y", 200),  # after the first 300 arrived
            Txn("o3", 90, "C", "W", 2000),  # carries the other 100 and the later 700
        ],
    )
    result = trace_account(store, "V")
    assert traced(result)["o2"] == 200
    assert traced(result)["o3"] == pytest.approx(800)
    assert "o1" not in traced(result)
    check_invariants(result, 6, timedelta(hours=48))


def test_time_window_limits_each_hop(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("t1", 0, "V", "A", 1000),
            Txn("early", -1, "A", "X", 1000),
            Txn("in", 120, "A", "B", 400),  # exactly at the end of a 2-hour window: followed
            Txn("late", 121, "A", "C", 600),  # one minute after: not followed
            Txn("b", 200, "B", "D", 400),  # 80 minutes after B got it: followed
        ],
    )
    result = trace_account(store, "V", within=timedelta(hours=2))
    assert set(traced(result)) == {"t1", "in", "b"}
    assert account_row(result, "A")["held"] == pytest.approx(600)
    wide = trace_account(store, "V", within=timedelta(hours=3))
    assert set(traced(wide)) == {"t1", "in", "late", "b"}
    check_invariants(result, 6, timedelta(hours=2))


def test_since_starts_the_trace_and_bounds_the_first_hop(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("rent", -3000, "V", "L", 2000),
            Txn("pay1", 0, "V", "A", 1000),
            Txn("pay2", 600, "V", "A", 500),
            Txn("later", 4000, "V", "S", 80),
        ],
    )
    result = trace_account(store, "V", since=T0 - timedelta(minutes=5), within=timedelta(hours=24))
    assert set(traced(result)) == {"pay1", "pay2"}
    assert result.start == T0
    assert result.total_out == 1500
    everything = trace_account(store, "V")
    assert set(traced(everything)) == {"rent", "pay1", "pay2", "later"}


def test_hops_limit(store: duckdb.DuckDBPyConnection) -> None:
    chain = ["V", "A", "B", "C", "D", "E"]
    load(store, [Txn(f"h{i}", i * 10, s, d, 100) for i, (s, d) in enumerate(itertools.pairwise(chain))])
    result = trace_account(store, "V", hops=2)
    assert result.flows["hop"].to_list() == [1, 2]
    assert result.at_hop_limit == pytest.approx(100)
    assert result.held == pytest.approx(0)
    full = trace_account(store, "V", hops=10)
    assert full.flows["hop"].max() == 5
    assert full.at_hop_limit == 0


def test_cycles_terminate_and_returning_money_is_attributed(store: duckdb.DuckDBPyConnection) -> None:
    loop = ["A", "B", "C"]
    txns = [Txn("in", 0, "V", "A", 900)]
    for k in range(30):  # the same 900 goes round A -> B -> C -> A ten times, a minute a hop
        src, dst = loop[k % 3], loop[(k + 1) % 3]
        txns.append(Txn(f"c{k:02d}", k + 1, src, dst, 900))
    txns.append(Txn("back", 2, "B", "A", 50))  # a short cut back, reusing no transfer twice
    load(store, txns)
    result = trace_account(store, "V", hops=40)
    check_invariants(result, 40, timedelta(hours=48))
    assert result.flows["hop"].max() <= 40
    assert account_row(result, "A")["traced_amount_in"] > 900  # came back round the loop
    assert account_row(result, "A")["min_hop"] == 1
    # at one instant the same two transfers could carry the money round for ever: each carries it once
    load(store, [Txn("s0", 0, "W", "P", 100), Txn("s1", 0, "P", "Q", 100), Txn("s2", 0, "Q", "P", 100)])
    instant = trace_account(store, "W", hops=50)
    assert instant.flows["txn_id"].to_list() == ["s0", "s1", "s2"]
    assert account_row(instant, "P")["traced_amount_in"] == pytest.approx(200)
    assert account_row(instant, "P")["held"] == pytest.approx(100)
    check_invariants(instant, 50, timedelta(hours=48))


def test_cash_out_points_are_identified_and_end_the_path(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("v1", 0, "V", "M", 3000),
            Txn("atm", 10, "M", "ATM9", 1000, channel="atm"),
            Txn("plat", 20, "M", "PAY1", 800, channel="third_party"),
            Txn("cash", 30, "M", "CASHBOX", 700),  # into an account that never sends and takes withdrawals
            Txn("other", 0, "K", "CASHBOX", 5000, channel="atm"),
            Txn("fwd", 40, "PAY1", "N", 800),  # beyond a third-party platform: not followed
            Txn("keep", 50, "M", "H", 500),  # a dead end that is not a cash point
        ],
    )
    result = trace_account(store, "V")
    flags = dict(zip(result.flows["txn_id"], result.flows["is_cash_out"], strict=True))
    assert flags == {"v1": False, "atm": True, "plat": True, "cash": True, "keep": False}
    points = set(result.reached.filter(pl.col("is_cash_out_point"))["account"])
    assert points == {"ATM9", "PAY1", "CASHBOX"}
    assert result.cashed_out == pytest.approx(2500)
    assert result.held == pytest.approx(500)


def test_held_is_what_stayed_never_negative_and_cash_out_is_apart(store: duckdb.DuckDBPyConnection) -> None:
    seeds = [1190.59, 2721.6, 1850.41]
    outs = [870.43, 901.82, 95.34, 3895.01]  # all of it cashed out: float sums leave -9e-13 "held"
    load(store, [Txn(f"v{i}", i, "V", "A", a) for i, a in enumerate(seeds)])
    load(store, [Txn(f"w{i}", 10 + i, "A", f"ATM{i}", a, channel="atm") for i, a in enumerate(outs)])
    result = trace_account(store, "V")
    assert f"{result.held:,.2f}" == "0.00"
    assert result.cashed_out == pytest.approx(sum(seeds))
    assert (result.reached["held"] == 0).all()
    atm = account_row(result, "ATM3")
    assert (atm["cashed_out"], atm["held"]) == (pytest.approx(3895.01), 0)
    page = trace_html(result)
    row = re.search(rf"<tr><td>{re.escape(mask_account('ATM3') or '')}</td>(.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells == ["2", "3,895.01", "0.00", "3,895.01", "0.00", "0.00"]  # hop, in, sent on, cashed, limit, held
    check_invariants(result, 6, timedelta(hours=48))


def test_only_successful_transfers_move_money(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("ok", 0, "V", "A", 100),
            Txn("failed", 1, "V", "B", 100, status="failed"),
            Txn("nostatus", 2, "V", "C", 100, status=None),
            Txn("reversed", 3, "A", "D", 100, status="reversed"),
        ],
    )
    result = trace_account(store, "V")
    assert set(traced(result)) == {"ok", "nostatus"}


def test_dust_below_min_amount_is_not_followed(store: duckdb.DuckDBPyConnection) -> None:
    load(store, [Txn("a", 0, "V", "A", 100), Txn("b", 1, "A", "B", 99.5), Txn("c", 2, "A", "C", 5)])
    result = trace_account(store, "V", min_amount=1.0)
    assert set(traced(result)) == {"a", "b"}
    assert account_row(result, "A")["held"] == pytest.approx(0.5)
    check_invariants(result, 6, timedelta(hours=48))


def test_bad_options_and_empty_traces_are_clear_errors(store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotReadyError, match="no transactions"):
        trace_account(store, "V")
    load(store, [Txn("a", 0, "V", "A", 100)])
    with pytest.raises(ConfigError, match="hops"):
        trace_account(store, "V", hops=0)
    with pytest.raises(ConfigError, match="window"):
        trace_account(store, "V", within=timedelta(0))
    with pytest.raises(NotReadyError, match="sent no successful transfers") as err:
        trace_account(store, "6222020200112233445")
    assert "6222020200112233445" not in str(err.value)
    assert err.value.hint
    with pytest.raises(NotReadyError) as late:
        trace_account(store, "V", since=T0 + timedelta(days=3))
    assert_hint_names_trace_options(late.value.hint)


def assert_hint_names_trace_options(hint: str | None) -> None:
    """A hint names options `fraudkit trace` has, and nothing in brackets the user cannot type."""
    import typer

    from fraudkit.cli import app

    trace = typer.main.get_command(app).commands["trace"]  # type: ignore[attr-defined]
    options = {opt for param in trace.params for opt in param.opts}
    named = re.findall(r"--[a-z][a-z-]*", hint or "")
    assert named and set(named) <= options, f"{hint!r} names options trace lacks: {set(named) - options}"
    assert not re.search(r"\((?!--)[a-z_]+\)", hint or ""), f"{hint!r} names a parameter, not an option"


# --- reports ---------------------------------------------------------------------------------


def add_report(con: duckdb.DuckDBPyConnection, report_id: str, victim: str | None, fraud: str | None) -> None:
    con.execute(
        "INSERT INTO reports (report_id, reported_at, victim_account, fraud_account) VALUES (?, ?, ?, ?)",
        [report_id, T0 + timedelta(hours=5), victim, fraud],
    )


def test_trace_report_starts_from_the_payment_to_the_fraud_account(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("shop", -120, "V", "SHOP", 80),
            Txn("pay", 0, "V", "MULE", 5000),
            Txn("fwd", 30, "MULE", "M2", 5000),
            Txn("after", 400, "V", "MULE", 900),  # after the report: not part of this case
        ],
    )
    add_report(store, "R1", "V", "MULE")
    result = trace_report(store, "R1")
    assert set(traced(result)) == {"pay", "fwd"}
    assert result.origin == "V"
    add_report(store, "R2", "V", "MISTYPED")  # unknown fraud account: the victim's recent transfers
    fallback = trace_report(store, "R2")
    assert set(traced(fallback)) == {"shop", "pay", "fwd"}


def test_trace_report_errors_name_the_report(store: duckdb.DuckDBPyConnection) -> None:
    load(store, [Txn("pay", 0, "V", "MULE", 5000)])
    with pytest.raises(FraudkitError, match="R404"):
        trace_report(store, "R404")
    add_report(store, "R1", "V", "MULE")
    with pytest.raises(FraudkitError, match="R404") as err:
        trace_report(store, "R404")
    assert err.value.hint
    add_report(store, "R2", None, "MULE")
    with pytest.raises(NotReadyError, match=r"R2.*no victim account") as err:
        trace_report(store, "R2")
    assert "--account" in (err.value.hint or "")


# --- rendering -------------------------------------------------------------------------------

ACCOUNTS = {
    "V": "6222020200112233445",
    "A": "6217001234567890123",
    "B": "6228480011223344556",
    "ATM": "6214830000000000999",
}


@pytest.fixture
def long_trace(store: duckdb.DuckDBPyConnection) -> TraceResult:
    a = ACCOUNTS
    load(
        store,
        [
            Txn("t1", 0, a["V"], a["A"], 8000),
            Txn("t2", 20, a["A"], a["B"], 7900),
            Txn("t3", 40, a["B"], a["ATM"], 7800, channel="atm"),
        ],
    )
    return trace_account(store, a["V"])


def test_html_is_self_contained_and_masked(long_trace: TraceResult) -> None:
    page = trace_html(long_trace)
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"url\(|@import", page, re.IGNORECASE)
    for account in ACCOUNTS.values():
        assert account not in page
        assert mask_account(account) in page
    with reveal(duckdb.connect(), command="test", what="trace") as grant:
        revealed = trace_html(long_trace, reveal=grant)
    assert all(account in revealed for account in ACCOUNTS.values())


def test_html_counts_the_accounts_reached_once(long_trace: TraceResult) -> None:
    page = trace_html(long_trace)
    summary = re.search(r"<th>accounts reached</th>.*?<tbody><tr>(.*?)</tr>", page)
    assert summary is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", summary.group(1))
    assert cells[6] == "3" == str(long_trace.accounts_reached)  # A, B and the ATM; not V
    assert "<h2>Accounts reached (3), and the origin</h2>" in page
    assert long_trace.reached.height == 4


def test_tree_is_masked_unless_revealed(long_trace: TraceResult) -> None:
    from rich.console import Console

    def render(shown: bool) -> str:
        console = Console(width=200, record=True, file=io.StringIO())
        with reveal_if(duckdb.connect(), shown, command="test", what="trace") as grant:
            console.print(trace_tree(long_trace, reveal=grant))
        return console.export_text()

    masked, plain = render(False), render(True)
    assert ACCOUNTS["B"] not in masked and mask_account(ACCOUNTS["B"]) in masked
    assert "cash-out" in masked
    assert ACCOUNTS["B"] in plain


def check_tree_adds_up(branch: TreeBranch) -> int:
    """Every line of the tree is what its children, its cash-out and its rest add up to; returns the lines."""
    kids = branch.children or []
    assert min([branch.cashed_out, branch.rest, branch.more_amount, *(k.amount for k in kids)]) >= 0
    assert branch.amount == branch.cashed_out + branch.rest + branch.more_amount + sum(k.amount for k in kids)
    return 1 + sum(check_tree_adds_up(k) for k in kids)


def tree_lines(tree_text: str) -> list[tuple[int, float]]:
    """(depth, first amount) of each line of a rendered trace tree."""
    lines = []
    for line in tree_text.splitlines():
        found = re.search(r"[-+]?[\d,]+\.\d\d", line)
        if found:
            depth = (len(line) - len(line.lstrip("│├└─ "))) // 4
            lines.append((depth, float(found.group().replace(",", ""))))
    return lines


def test_tree_lines_add_up_where_money_merges(store: duckdb.DuckDBPyConnection) -> None:
    load(
        store,
        [
            Txn("a", 0, "V", "A", 600),
            Txn("b", 1, "V", "B", 400),
            Txn("ac", 10, "A", "C", 600),
            Txn("bc", 11, "B", "C", 400),  # C pools 1,000 from two senders
            Txn("cd", 20, "C", "D", 900),
            Txn("cx", 21, "C", "X", 50, channel="atm"),  # 50 cashed out, 50 stays in C
        ],
    )
    result = trace_account(store, "V")
    root = tree_branches(result)
    check_tree_adds_up(root)
    a_c = root.children[0].children[0]  # type: ignore[index]
    assert (a_c.account, a_c.amount, a_c.senders) == ("C", 60000, 2)
    assert [(k.account, k.amount) for k in a_c.children or []] == [("D", 54000), ("X", 3000)]
    assert a_c.rest == 3000
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(trace_tree(result))
    text = console.export_text()
    assert "-0.00" not in text
    lines = tree_lines(text)
    for i, (depth, amount) in enumerate(lines):
        below = []
        for d, a in lines[i + 1 :]:
            if d <= depth:
                break
            if d == depth + 1:
                below.append(a)
        assert sum(below) <= amount + 0.005, f"line {i}: children {below} exceed {amount}"
    assert "600.00  (with money from 2 senders)  held 30.00" in text  # C's part from A, not its 1,000


def test_tree_of_a_ring_adds_up_at_every_line(world_store) -> None:
    world, con = world_store
    victim = world.truth["victims"].sort("total_loss", descending=True).row(0, named=True)
    result = trace_account(con, victim["account_id"], since=victim["first_loss_at"], hops=8)
    root = tree_branches(result, max_children=1000, max_lines=100_000)
    assert check_tree_adds_up(root) > 10
    assert root.amount == round(result.total_out * 100)
    leaves: list[TreeBranch] = []
    stack = [root]
    while stack:
        b = stack.pop()
        leaves.append(b)
        stack.extend(b.children or [])
    assert sum(b.cashed_out for b in leaves) == pytest.approx(result.cashed_out * 100, abs=len(leaves))
    small = tree_branches(result, max_children=3, max_lines=12)
    assert check_tree_adds_up(small) <= 12 + 1


def test_export_is_masked_unless_revealed(long_trace: TraceResult, tmp_path: Path) -> None:
    csv = write_trace(long_trace, tmp_path / "out" / "trace.csv")
    text = csv.read_text()
    assert "traced_amount" in text
    assert all(account not in text for account in ACCOUNTS.values())
    assert mask_account(ACCOUNTS["A"]) in text
    with pytest.raises(ConfigError, match="must be recorded"):
        write_trace(long_trace, tmp_path / "trace.parquet", reveal=True)  # type: ignore[arg-type]
    assert not (tmp_path / "trace.parquet").exists()
    with reveal(duckdb.connect(), command="test", what="trace") as grant:
        parquet = write_trace(long_trace, tmp_path / "trace.parquet", reveal=grant)
    back = pl.read_parquet(parquet)
    assert back["account"].to_list() == [ACCOUNTS["A"], ACCOUNTS["B"], ACCOUNTS["ATM"]]
    assert back.schema == long_trace.flows.schema
    with pytest.raises(ConfigError, match=r"\.csv, \.parquet or \.html"):
        write_trace(long_trace, tmp_path / "trace.xlsx")


# --- property test against a plain-Python oracle ---------------------------------------------


def oracle(txns: list[Txn], origin: str, hops: int, within: timedelta, min_amount: float) -> list[tuple]:
    """The trace rules written as the obvious loops: (hop, txn_id, traced) rows."""
    ok = [t for t in txns if t.status in ("success", None) and t.src != t.dst and t.amount > 0]
    ok.sort(key=lambda t: (t.ts, t.txn_id))
    current = [(1, t, t.amount) for t in ok if t.src == origin and t.amount >= min_amount]
    rows = list(current)
    used: dict[str, float] = defaultdict(float)
    for _, t, x in current:
        used[t.txn_id] += x
    for hop in range(2, hops + 1):
        lots: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
        for _, t, x in current:
            if t.channel not in ("atm", "third_party"):
                lots[t.dst].append((t.ts, x))
        current = []
        for account, arrivals in lots.items():
            consumed = 0.0
            for t in (t for t in ok if t.src == account):
                before = [(at, x) for at, x in arrivals if at <= t.ts]
                capacity = t.amount - used[t.txn_id]
                if not before or t.ts > max(at for at, _ in before) + within or capacity <= 1e-9:
                    continue
                x = max(0.0, min(capacity, sum(x for _, x in before) - consumed))
                consumed += x
                if x >= max(min_amount, 1e-9):
                    current.append((hop, t, x))
        for _, t, x in current:
            used[t.txn_id] += x
        rows += current
        if not current:
            break
    return sorted((hop, t.txn_id, round(x, 6)) for hop, t, x in rows)


NAMES = [f"A{i}" for i in range(5)]
txn_strategy = st.builds(
    lambda src, dst, minutes, amount, channel, status: (src, dst, minutes, amount, channel, status),
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.integers(0, 300),
    st.integers(1, 1000),
    st.sampled_from(["mobile", "mobile", "online", "atm", "third_party"]),
    st.sampled_from(["success", "success", None, "failed"]),
)


def grow_tree(seeds: list[tuple], branches: list[tuple]) -> list[Txn]:
    """Transfers that follow earlier ones in time, from the account the earlier one paid: deep
    chains, splits and (as names repeat) cycles, the shapes a water house makes."""
    txns = [Txn(f"s{i:02d}", m, "A0", dst, amt) for i, (dst, m, amt) in enumerate(seeds)]
    for i, (parent, dst, delay, amount, channel, status) in enumerate(branches):
        up = txns[-1 - parent % min(len(txns), 4)]  # mostly recent transfers: deep chains
        txns.append(Txn(f"b{i:02d}", up.minutes + delay, up.dst, dst, amount, channel, status))
    return txns


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(txn_strategy, max_size=30),
    seeds=st.lists(st.tuples(st.sampled_from(NAMES[1:]), st.integers(0, 100), st.integers(1, 1000)), min_size=1),
    branches=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(NAMES),
            st.integers(0, 150),
            st.integers(1, 1000),
            st.sampled_from(["mobile", "mobile", "mobile", "online", "atm", "third_party"]),
            st.sampled_from(["success", "success", "success", None, "failed"]),
        ),
        max_size=30,
    ),
    hops=st.integers(1, 8),
    within_minutes=st.integers(10, 300),
    min_amount=st.sampled_from([0.0, 1.0, 50.0]),
)
def test_trace_matches_oracle_and_conserves_money(
    raw: list[tuple], seeds: list[tuple], branches: list[tuple], hops: int, within_minutes: int, min_amount: float
) -> None:
    txns = grow_tree(seeds, branches)
    txns += [Txn(f"t{i:02d}", m, s, d, a, ch, stt) for i, (s, d, m, a, ch, stt) in enumerate(raw)]
    within = timedelta(minutes=within_minutes)
    con = duckdb.connect()
    try:
        ensure_schema(con)
        load(con, txns)
        expected = oracle(txns, "A0", hops, within, min_amount)
        if not expected:
            with pytest.raises(NotReadyError):
                trace_account(con, "A0", hops=hops, within=within, min_amount=min_amount)
            return
        result = trace_account(con, "A0", hops=hops, within=within, min_amount=min_amount)
    finally:
        con.close()
    got = sorted((h, i, round(x, 6)) for h, i, x in result.flows.select("hop", "txn_id", "traced_amount").iter_rows())
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert [g[2] for g in got] == pytest.approx([e[2] for e in expected], abs=1e-5)
    check_invariants(result, hops, within)


# --- a synthetic world -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_store(tmp_path_factory: pytest.TempPathFactory):
    from fraudkit.synth import SynthConfig, generate_world

    world = generate_world(SynthConfig(seed=7, subscribers=3000))
    con = connect(tmp_path_factory.mktemp("world") / "s.duckdb")
    for name in ("transactions", "accounts", "reports"):
        DuckDBBackend(con=con).write(name, world.tables[name])
    yield world, con
    con.close()


def ring_share(result: TraceResult, ring: set[str]) -> float:
    """Share of the traced money that ended in cash-out transfers made by members of ``ring``."""
    out = result.flows.filter(pl.col("is_cash_out") & pl.col("parent_account").is_in(list(ring)))
    return float(out["traced_amount"].sum()) / result.total_out


def test_victim_money_reaches_its_ring_and_its_cash_out(world_store) -> None:
    world, con = world_store
    victim = world.truth["victims"].sort("total_loss", descending=True).row(0, named=True)
    mules = world.truth["mules"].filter(pl.col("ring_id") == victim["ring_id"])
    ring = set(mules["account_id"])
    result = trace_account(con, victim["account_id"], since=victim["first_loss_at"], hops=8)
    reached = set(result.reached["account"])
    assert ring & reached, "the trace never entered the victim's ring"
    assert set(mules.filter(pl.col("role") == "cashout")["account_id"]) & reached
    assert ring_share(result, ring) > 0.6
    check_invariants(result, 8, timedelta(hours=48))


def test_reported_case_is_traced_into_its_ring(world_store) -> None:
    world, con = world_store
    victims = world.truth["victims"].select("account_id", "ring_id")
    reports = (
        world.tables["reports"]
        .join(victims, left_on="victim_account", right_on="account_id")
        .join(world.truth["mules"].select("account_id"), left_on="fraud_account", right_on="account_id")
        .sort("loss_amount", descending=True, nulls_last=True)
    )
    case = reports.row(0, named=True)
    ring = set(world.truth["mules"].filter(pl.col("ring_id") == case["ring_id"])["account_id"])
    result = trace_report(con, case["report_id"], hops=8)
    assert result.flows.filter(pl.col("hop") == 1)["account"].unique().to_list() == [case["fraud_account"]]
    assert ring_share(result, ring) > 0.6
