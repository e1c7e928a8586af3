"""The call-back list cites a water house only when the scan flagged it: an operator reads "paid a
member of cluster X" as "this money is going to a laundering ring"."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from fraudkit.backend import DuckDBBackend
from fraudkit.exposure import mask_id
from fraudkit.scan.outputs import save_scan
from fraudkit.scan.scan import ScanResult
from fraudkit.store import connect
from fraudkit.warn.listing import money_involved

CONTACT = datetime(2026, 10, 1, 11, 30)
AS_OF = datetime(2026, 10, 2)
PHONE = "13812345678"
OWN = "6222021234567890123"  # the subscriber's own account, through the SIM's holder
MEMBER = "6230580044445555666"  # where the money went: a member of the latest scan's cluster
OTHER = "6230580000000000001"  # the cluster's other member


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    DuckDBBackend(con=con).write(table, pl.DataFrame(rows))


def _store(folder: Path, *, flagged: bool, fraud_phones: str | None = None) -> duckdb.DuckDBPyConnection:
    """One listed subscriber who paid MEMBER after the contact, and a scan whose one cluster holds
    MEMBER, flagged or a candidate the score left out."""
    con = connect(folder / "fraudkit.duckdb")
    _insert(con, "subscribers", [{"phone": PHONE, "holder_id": "H1"}])
    _insert(con, "accounts", [{"account_id": OWN, "holder_id": "H1", "opened_at": datetime(2024, 1, 1)}])
    paid = {"txn_id": "T1", "ts": CONTACT + timedelta(minutes=40), "src_account": OWN, "dst_account": MEMBER}
    _insert(con, "transactions", [paid | {"amount": 5000.0, "channel": "mobile"}])
    members = pl.DataFrame({"cluster_id": [MEMBER, MEMBER], "account": [MEMBER, OTHER]})
    clusters = pl.DataFrame({"cluster_id": [MEMBER], "flagged": [flagged], "fraud_phones": [fraud_phones]})
    scanned = CONTACT + timedelta(hours=2)
    save_scan(con, ScanResult("scan-1", scanned, timedelta(days=7), clusters, members, members, members))
    return con


def _listed(suspect: str | None = None) -> pl.DataFrame:
    return pl.DataFrame({"phone": [PHONE], "contact_began": [CONTACT], "suspect_number": [suspect]})


@pytest.mark.parametrize(("flagged", "cited"), [(True, True), (False, False)])
def test_a_payment_to_a_member_names_the_cluster_only_when_the_scan_flagged_it(
    tmp_path: Path, flagged: bool, cited: bool
) -> None:
    con = _store(tmp_path, flagged=flagged)
    try:
        found = money_involved(con, _listed(), AS_OF)
    finally:
        con.close()
    rows = found.filter(pl.col("phone") == PHONE).rows(named=True)
    if cited:
        assert len(rows) == 1 and rows[0]["account"] == MEMBER
        assert rows[0]["cluster"] == mask_id(MEMBER)
    else:  # an unflagged candidate is not a suspect account, so the payment is not cited at all
        assert rows == [] or rows[0]["cluster"] is None


@pytest.mark.parametrize(("flagged", "cited"), [(True, True), (False, False)])
def test_a_cluster_whose_reports_name_the_suspect_number_is_cited_only_when_flagged(
    tmp_path: Path, flagged: bool, cited: bool
) -> None:
    suspect = "17012345678"
    con = _store(tmp_path, flagged=flagged, fraud_phones=suspect)
    con.execute("DELETE FROM transactions")  # no payment: only the suspect number links the two
    try:
        found = money_involved(con, _listed(suspect), AS_OF)
    finally:
        con.close()
    clusters = found.filter(pl.col("phone") == PHONE)["cluster"].drop_nulls().to_list()
    assert clusters == ([mask_id(MEMBER)] if cited else [])
