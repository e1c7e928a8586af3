"""Escalation as the warning desk meets it: a person with an open alert pays a suspect account (one
named in a report, a member of the latest water-house scan, or a brand-new account receiving a
first large transfer), the alert turns urgent at once and the bank is asked to stop the payment.
Each case is a tiny DuckDB store and operational store built by hand."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from fraudkit.atomic import TEMP_SUFFIX
from fraudkit.backend import DuckDBBackend
from fraudkit.errors import FraudkitError
from fraudkit.exposure import mask_id, reveal
from fraudkit.live.alerts import alerts_frame, insert_alerts
from fraudkit.live.config import WatchConfig
from fraudkit.live.escalation import escalate, suspect_payments, write_bank_list
from fraudkit.live.tick import Scorer, run_tick
from fraudkit.model.params import ContactParams
from fraudkit.ops.db import ops_engine
from fraudkit.ops.schema import alerts, bank_requests
from fraudkit.scan.outputs import save_scan
from fraudkit.scan.scan import ScanResult
from fraudkit.store import connect

CONTACT = datetime(2026, 10, 1, 11, 30)  # the suspicious call began
HORIZON = datetime(2026, 10, 1, 14, 0)  # what the tick knows: records that ended before this
CONFIG = WatchConfig(large_amount=5000.0, new_account_within=timedelta(hours=6))
LONG_AGO = datetime(2024, 1, 1)

# people with an open alert: one whose account is linked through the SIM's holder, one whose
# account is registered with the phone itself (no subscriber row for it)
BY_HOLDER = "13812345678"
BY_HOLDER_ACCOUNT = "6222021234567890123"
BY_PHONE = "13987654321"
BY_PHONE_ACCOUNT = "6217009876543210987"
REPORTED = "6228480011112222333"  # the account a victim's report names
MEMBER = "6230580044445555666"  # a water-house member in the latest scan
NEW = "6214830077778888999"  # opened an hour before it is paid
REASON_REPORTED = "paid an account named in a fraud report"
REASON_MEMBER = "paid a water-house member account"
REASON_NEW = "first large transfer to an account first seen hours before"


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows into a canonical table, by column name (the others left empty)."""
    DuckDBBackend(con=con).write(table, pl.DataFrame(rows))


def alert_row(
    n: int, phone: str, *, start: datetime = CONTACT, created: datetime | None = None, **more: Any
) -> dict[str, Any]:
    """An alert as the loop writes it, for a contact with ``phone`` that began at ``start``; ``more``
    overrides any field."""
    return {
        "alert_id": f"A{n:04d}",
        "contact_id": f"C{n:04d}",
        "created_at": created or start + timedelta(minutes=20),
        "phone": phone,
        "score": 0.5,
        "tier": "orange",
        "channel": "call_queue",
        "reason_1": None,
        "reason_2": None,
        "reason_3": None,
        "suspect_number": "19100001111",
        "contact_start": start,
        "contact_end": start + timedelta(minutes=15),
        "model_version": "1",
        "status": "new",
        "urgent": False,
    } | more


@dataclass
class Desk:
    """A DuckDB store with the two watched people and their accounts, and the operational store
    holding their alerts (A0001: BY_HOLDER, A0002: BY_PHONE)."""

    con: duckdb.DuckDBPyConnection
    engine: Engine
    folder: Path

    def pay(self, n: int, ts: datetime, dst: str, amount: float, *, src: str = BY_HOLDER_ACCOUNT, **more: Any) -> None:
        insert(self.con, "transactions", [_txn(n, ts, src, dst, amount, **more)])

    def open_account(self, account: str, opened_at: datetime) -> None:
        row = {"account_id": account, "holder_id": "H-" + account[-4:], "opened_at": opened_at}
        insert(self.con, "accounts", [row])

    def report(self, account: str, at: datetime = CONTACT - timedelta(days=2)) -> None:
        insert(self.con, "reports", [{"report_id": "R-" + account[-4:], "reported_at": at, "fraud_account": account}])

    def payments(self, horizon: datetime = HORIZON, config: WatchConfig = CONFIG) -> pl.DataFrame:
        return suspect_payments(self.con, alerts_frame(self.engine), horizon, config)

    def alert(self, alert_id: str = "A0001") -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).mappings().one())

    def requests(self) -> list[tuple[str, str, float, datetime]]:
        b = bank_requests.c
        query = select(b.alert_id, b.account, b.amount, b.paid_at).order_by(b.request_id)
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]


def _txn(n: int, ts: datetime, src: str, dst: str, amount: float, **more: Any) -> dict[str, Any]:
    row = {"txn_id": f"T{n:04d}", "ts": ts, "src_account": src, "dst_account": dst, "amount": amount}
    return row | {"channel": "mobile"} | more


def make_desk(folder: Path) -> Desk:
    """The stores of :class:`Desk` in ``folder``."""
    con = connect(folder / "fraudkit.duckdb")
    insert(con, "subscribers", [{"phone": BY_HOLDER, "holder_id": "H1"}])
    insert(
        con,
        "accounts",
        [
            {"account_id": BY_HOLDER_ACCOUNT, "holder_id": "H1", "opened_at": LONG_AGO},
            {"account_id": BY_PHONE_ACCOUNT, "holder_id": "H2", "phone": BY_PHONE, "opened_at": LONG_AGO},
            {"account_id": REPORTED, "holder_id": "H8", "opened_at": LONG_AGO},
            {"account_id": MEMBER, "holder_id": "H9", "opened_at": LONG_AGO},
        ],
    )
    engine = ops_engine(f"sqlite:///{folder / 'fraudkit.ops.sqlite'}")
    insert_alerts(engine, [alert_row(1, BY_HOLDER), alert_row(2, BY_PHONE)])
    return Desk(con, engine, folder)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    made = make_desk(tmp_path)
    yield made
    made.con.close()
    made.engine.dispose()


def save_members(con: duckdb.DuckDBPyConnection, as_of: datetime, accounts: list[str], *, flagged: bool = True) -> None:
    """A water-house scan as ``fraudkit scan`` saves it (members as the store's pseudonyms), its one
    cluster flagged or, with ``flagged=False``, a candidate the score left out."""
    members = pl.DataFrame({"cluster_id": [accounts[0]] * len(accounts), "account": accounts})
    clusters = pl.DataFrame({"cluster_id": [accounts[0]], "flagged": [flagged]})
    run_id = f"scan-{as_of:%Y%m%dT%H%M}"
    save_scan(con, ScanResult(run_id, as_of, timedelta(days=7), clusters, members, members, members))


# ---- (a) an account named in a report, by both ways of linking a person to accounts -------


@pytest.mark.parametrize(("alert_id", "src"), [("A0001", BY_HOLDER_ACCOUNT), ("A0002", BY_PHONE_ACCOUNT)])
def test_paying_a_reported_account_turns_the_alert_urgent_with_one_bank_request(
    desk: Desk, alert_id: str, src: str
) -> None:
    desk.report(REPORTED)
    paid_at = CONTACT + timedelta(minutes=40)
    desk.pay(1, paid_at, REPORTED, 800.0, src=src)
    payments = desk.payments()
    assert payments.select("alert_id", "account", "amount", "paid_at", "reason").rows() == [
        (alert_id, REPORTED, 800.0, paid_at, REASON_REPORTED)
    ]

    assert escalate(desk.engine, payments, HORIZON) == 1
    assert desk.requests() == [(alert_id, REPORTED, 800.0, paid_at)]
    row = desk.alert(alert_id)
    assert (row["urgent"], row["urgent_at"], row["urgent_reason"], row["channel"]) == (
        True,
        HORIZON,
        REASON_REPORTED,
        "bank",
    )
    assert (row["account_paid"], row["amount_paid"]) == (REPORTED, 800.0)
    other = desk.alert("A0002" if alert_id == "A0001" else "A0001")
    assert not other["urgent"] and other["channel"] == "call_queue", "the other person paid nobody"


def test_a_failed_transfer_and_a_report_filed_after_the_horizon_are_not_suspect(desk: Desk) -> None:
    desk.report(REPORTED)
    desk.pay(1, CONTACT + timedelta(minutes=40), REPORTED, 800.0, status="failed")
    late = "6228480099998888777"
    desk.open_account(late, LONG_AGO)
    desk.report(late, at=HORIZON + timedelta(hours=1))
    desk.pay(2, CONTACT + timedelta(minutes=50), late, 800.0)
    assert desk.payments().is_empty()


# ---- (b) a first large transfer to an account first seen hours before ---------------------


def test_a_first_large_transfer_to_a_new_account_is_urgent(desk: Desk) -> None:
    paid_at = CONTACT + timedelta(hours=1)
    desk.open_account(NEW, paid_at - timedelta(hours=1))
    desk.pay(1, paid_at, NEW, 5000.0)  # exactly large_amount counts
    assert desk.payments().select("alert_id", "account", "reason").rows() == [("A0001", NEW, REASON_NEW)]


def test_an_account_first_seen_in_this_very_transfer_is_new(desk: Desk) -> None:
    """An account of another bank has no accounts row: the transfer itself is its first sighting."""
    desk.pay(1, CONTACT + timedelta(hours=1), NEW, 9000.0)
    assert desk.payments()["reason"].to_list() == [REASON_NEW]


@pytest.mark.parametrize(
    "case",
    ["paid it before", "below large_amount", "opened long ago", "seen in an old transfer"],
)
def test_a_large_transfer_that_is_not_a_first_one_to_a_new_account_is_not_urgent(desk: Desk, case: str) -> None:
    paid_at = CONTACT + timedelta(hours=1)
    amount = 4999.99 if case == "below large_amount" else 6000.0
    if case == "opened long ago":
        desk.open_account(NEW, paid_at - CONFIG.new_account_within - timedelta(minutes=1))
    else:
        desk.open_account(NEW, paid_at - timedelta(hours=1))
    if case == "paid it before":  # a payee of this account (within new_account_within, so only that tells)
        desk.pay(9, paid_at - timedelta(minutes=50), NEW, 50.0)
    if case == "seen in an old transfer":  # someone else paid it two days ago: not a new account
        insert(desk.con, "transactions", [_txn(9, paid_at - timedelta(days=2), "6200000000000000001", NEW, 10.0)])
    desk.pay(1, paid_at, NEW, amount)
    assert desk.payments().is_empty()


@pytest.mark.parametrize(("dormant_for", "urgent"), [(timedelta(days=10), False), (timedelta(days=40), True)])
def test_first_seen_looks_back_a_bounded_history_so_a_dormant_account_woken_is_new(
    desk: Desk, dormant_for: timedelta, urgent: bool
) -> None:
    """Escalation reads account_history (30 d) before the oldest watched alert, not the whole store,
    so a tick costs the same on an old store; an account quiet for longer than that counts as new."""
    paid_at = CONTACT + timedelta(hours=1)
    insert(desk.con, "transactions", [_txn(9, paid_at - dormant_for, "6200000000000000001", NEW, 10.0)])
    desk.pay(1, paid_at, NEW, 9000.0)
    assert desk.payments()["reason"].to_list() == ([REASON_NEW] if urgent else [])


# ---- (c) a member of the latest water-house scan ------------------------------------------


def test_paying_a_member_of_the_latest_scan_is_urgent(desk: Desk) -> None:
    save_members(desk.con, CONTACT - timedelta(days=1), [MEMBER, "6230580000000000001"])
    assert MEMBER not in desk.con.sql("SELECT account FROM scan_members").pl()["account"].to_list()  # pseudonyms
    desk.report(MEMBER)  # a member that is also reported: the scan is the stronger reason
    desk.pay(1, CONTACT + timedelta(minutes=30), MEMBER, 300.0)
    assert desk.payments().select("account", "reason").rows() == [(MEMBER, REASON_MEMBER)]


def test_paying_a_member_of_an_unflagged_cluster_is_not_urgent(desk: Desk) -> None:
    save_members(desk.con, CONTACT - timedelta(days=1), [MEMBER, "6230580000000000001"], flagged=False)
    desk.pay(1, CONTACT + timedelta(minutes=30), MEMBER, 300.0)
    assert desk.payments().is_empty()


def test_only_the_latest_scan_before_the_horizon_counts(desk: Desk) -> None:
    save_members(desk.con, CONTACT - timedelta(days=3), [MEMBER])  # superseded by the next one
    save_members(desk.con, CONTACT - timedelta(days=1), ["6230580000000000001"])
    save_members(desk.con, HORIZON + timedelta(hours=1), [MEMBER])  # not known at the horizon
    desk.pay(1, CONTACT + timedelta(minutes=30), MEMBER, 300.0)
    assert desk.payments().is_empty()
    assert desk.payments(horizon=HORIZON + timedelta(hours=2))["reason"].to_list() == [REASON_MEMBER]


# ---- (d) only what was paid between the contact and the horizon ---------------------------


def test_payments_before_the_contact_or_at_the_horizon_are_not_counted(desk: Desk) -> None:
    desk.report(REPORTED)
    desk.pay(1, CONTACT - timedelta(seconds=1), REPORTED, 800.0)
    desk.pay(2, HORIZON, REPORTED, 800.0)
    desk.pay(3, HORIZON - timedelta(microseconds=1), REPORTED, 700.0)
    assert desk.payments()["amount"].to_list() == [700.0]


# ---- (e) twice: no second request, not newly urgent again ---------------------------------


def test_escalating_the_same_payments_again_adds_nothing(desk: Desk) -> None:
    desk.report(REPORTED)
    first_paid = CONTACT + timedelta(minutes=40)
    desk.pay(1, first_paid, REPORTED, 800.0)
    desk.pay(2, first_paid + timedelta(minutes=5), REPORTED, 900.0)
    payments = desk.payments()
    assert escalate(desk.engine, payments, HORIZON) == 1, "one alert, however many transfers"
    assert escalate(desk.engine, payments, HORIZON + timedelta(minutes=1)) == 0
    assert [r[2] for r in desk.requests()] == [800.0, 900.0], "a request per transfer, once"
    row = desk.alert()
    assert (row["urgent_at"], row["amount_paid"]) == (HORIZON, 800.0), "the first escalation stands"


def _tick(desk: Desk, at: datetime) -> int:
    """One replay tick of the loop over the store (no calls to score), returning its urgent count."""
    scorer = Scorer(model=None, params=ContactParams(), red=0.6, orange=0.3, yellow=0.1, team=(4,) * 24)  # type: ignore[arg-type]
    report = run_tick(
        desk.con,
        desk.engine,
        scorer,
        CONFIG,
        loop="replay",
        at=at,
        horizon=at,
        late_within=timedelta(0),
        bank_dir=desk.folder,
    )
    return report.urgent


def test_two_ticks_escalate_once_and_write_the_bank_list(desk: Desk) -> None:
    desk.report(REPORTED)
    desk.pay(1, CONTACT + timedelta(minutes=40), REPORTED, 800.0)
    assert _tick(desk, HORIZON) == 1
    assert _tick(desk, HORIZON + timedelta(minutes=1)) == 0
    assert len(desk.requests()) == 1
    listed = pl.read_csv(desk.folder / f"bank-requests-{HORIZON:%Y%m%d}.csv")
    assert listed["alert_id"].to_list() == ["A0001"]


def test_a_later_suspect_transfer_of_an_urgent_person_is_sent_to_the_bank_too(desk: Desk) -> None:
    desk.report(REPORTED)
    desk.pay(1, CONTACT + timedelta(minutes=40), REPORTED, 800.0)
    assert _tick(desk, HORIZON) == 1
    desk.pay(2, HORIZON + timedelta(minutes=5), REPORTED, 3000.0)  # still paying, the bank must hear of it
    assert _tick(desk, HORIZON + timedelta(minutes=10)) == 0
    assert [r[2] for r in desk.requests()] == [800.0, 3000.0]


# ---- (f) the bank list: masked, revealed only with a grant, written atomically ------------


def _escalated(desk: Desk, now: datetime = HORIZON) -> None:
    desk.report(REPORTED)
    desk.pay(1, CONTACT + timedelta(minutes=40), REPORTED, 800.0)
    desk.pay(2, CONTACT + timedelta(minutes=45), REPORTED, 600.0, src=BY_PHONE_ACCOUNT)
    assert escalate(desk.engine, desk.payments(), now) == 2


def test_the_bank_list_is_masked_with_no_full_number_in_the_file(desk: Desk) -> None:
    _escalated(desk)
    path = write_bank_list(desk.engine, desk.folder, HORIZON)
    data = path.read_bytes()
    for full in (REPORTED, BY_HOLDER, BY_PHONE, BY_HOLDER_ACCOUNT, BY_PHONE_ACCOUNT):
        assert full.encode() not in data
    listed = pl.read_csv(path, schema_overrides={"phone": pl.String, "account": pl.String})
    assert sorted(listed["phone"]) == sorted([mask_id(BY_HOLDER), mask_id(BY_PHONE)])
    assert set(listed["account"]) == {mask_id(REPORTED)}
    assert sorted(listed["amount"]) == [600.0, 800.0]


def test_the_bank_list_shows_full_numbers_only_with_a_reveal_grant(desk: Desk) -> None:
    _escalated(desk)
    with reveal(desk.con, command="watch", what="bank list", rows=2) as grant:
        path = write_bank_list(desk.engine, desk.folder, HORIZON, grant=grant)
    listed = pl.read_csv(path, schema_overrides={"phone": pl.String, "account": pl.String})
    assert sorted(listed["phone"]) == sorted([BY_HOLDER, BY_PHONE])
    assert set(listed["account"]) == {REPORTED}
    with pytest.raises(FraudkitError, match="must be recorded"):
        write_bank_list(desk.engine, desk.folder, HORIZON, grant=True)


def test_the_bank_list_of_a_day_holds_that_day_only(desk: Desk) -> None:
    _escalated(desk, now=HORIZON)
    next_day = HORIZON + timedelta(days=1)
    desk.pay(3, next_day - timedelta(hours=1), REPORTED, 400.0)
    insert_alerts(desk.engine, [alert_row(3, BY_HOLDER, start=next_day - timedelta(hours=2))])
    assert escalate(desk.engine, desk.payments(horizon=next_day).filter(pl.col("alert_id") == "A0003"), next_day) == 1
    first = pl.read_csv(write_bank_list(desk.engine, desk.folder, HORIZON))
    second = pl.read_csv(write_bank_list(desk.engine, desk.folder, next_day))
    assert sorted(first["amount"]) == [600.0, 800.0]
    assert second["amount"].to_list() == [400.0]


def test_a_bank_list_that_cannot_be_written_leaves_the_previous_one_whole(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _escalated(desk)
    path = write_bank_list(desk.engine, desk.folder, HORIZON)
    before = path.read_bytes()
    desk.pay(3, CONTACT + timedelta(minutes=50), REPORTED, 400.0)
    escalate(desk.engine, desk.payments(), HORIZON + timedelta(minutes=1))

    def half_then_full_disk(self: pl.DataFrame, file: Path) -> None:
        Path(file).write_bytes(b"alert_id,acc")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", half_then_full_disk)
    with pytest.raises(FraudkitError, match="disk full"):
        write_bank_list(desk.engine, desk.folder, HORIZON)
    assert path.read_bytes() == before
    assert not [p.name for p in desk.folder.iterdir() if p.name.endswith(TEMP_SUFFIX)], "no temporary file left"
    with desk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(bank_requests)).scalar_one() == 3
