"""A header that names two columns alike (IBM's AML export: payer and payee are both ``Account``)
is mapped as pandas reads it: the second is ``Account.1``; the first keeps its name."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import rejects, write

from fraudkit.errors import InputFileError
from fraudkit.ingest import ingest_paths, parse_mapping

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
MAPPING = """
kind = "transactions"
[columns]
ts = "Timestamp"
src_account = "Account"
dst_account = "Account.1"
amount = "Amount Paid"
[timestamps]
ts = "%Y/%m/%d %H:%M"
[defaults]
channel = "online"
"""


def test_the_second_of_two_like_named_columns_is_name_dot_1(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "trans.csv",
        [
            HEADER,
            "2022/09/01 00:20,010,8000EBD30,010,8000EBD31,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0",
            "2022/09/01 00:21,010,8000EBD30,,,10.00,US Dollar,10.00,US Dollar,Cheque,0",
        ],
    )
    summary = ingest_paths(con, path, "transactions", parse_mapping(MAPPING))
    assert (summary.loaded, summary.rejected) == (1, 1)
    rows = con.execute("SELECT ts, src_account, dst_account, amount FROM transactions").fetchall()
    assert rows == [(datetime(2022, 9, 1, 0, 20), "8000EBD30", "8000EBD31", Decimal("3697.34"))]
    line, column, reason, _ = rejects(con)[0]
    assert (line, column, reason) == (3, "Account.1", "dst_account: missing value")


def test_without_the_suffix_both_accounts_would_read_the_first(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "trans.csv", [HEADER, "2022/09/01 00:20,010,A,010,B,1,USD,1,USD,Wire,0"])
    same = parse_mapping(MAPPING.replace('dst_account = "Account.1"', 'dst_account = ["Account", "Payee"]'))
    with pytest.raises(InputFileError, match="would both read the file's column"):
        ingest_paths(con, path, "transactions", same)
