"""Shared data and helpers for the ingest tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from fraudkit.store import quote_ident

HEADERS = {
    "transactions": "txn_id,ts,src_account,dst_account,amount,currency,channel,status",
    "calls": "call_id,caller,callee,start_time,duration_s,kind,caller_imei,cell_id,roaming",
    "accounts": "account_id,holder_id,phone,bank,opened_at,account_type,region",
    "subscribers": "phone,holder_id,activated_at,region,plan",
    "reports": "report_id,reported_at,victim_phone,victim_account,fraud_phone,fraud_account,loss_amount",
    "outcomes": "phone,contacted_at,result,note",
    "regions": "code,name,parent_code,level,population,gdp,area_km2",
}

GOOD_ROWS = {
    "transactions": [
        "T1,2024-03-01 10:00:00,6222000011112222,6228000033334444,5000.00,CNY,mobile,success",
        "T2,2024-03-01 10:05:00,6228000033334444,6217000055556666,4990.50,,online,",
    ],
    "calls": [
        "C1,13800001111,13900002222,2024-03-01 09:55:00,320,voice,860000000000001,CELL-1,false",
        "C2,+86 138-0000-1111,13900002222,2024-03-01 09:56:00,0,SMS,,,",
    ],
    "accounts": [
        "6222000011112222,H1,13800001111,ICBC,2019-05-01,personal,Shenzhen",
        "6228000033334444,H2,,CCB,,merchant,",
    ],
    "subscribers": [
        "13800001111,H1,2018-01-01 00:00:00,Shenzhen,basic",
        "13900002222,H3,,,",
    ],
    "reports": [
        "R1,2024-03-02 08:00:00,13900002222,6217000055556666,13800001111,6228000033334444,4990.50",
        "R2,2024-03-02 09:00:00,,,,,",
    ],
    "outcomes": [
        '13900002222,2024-03-01 11:00:00,reached,"warned, transfer stopped"',
        "13900003333,2024-03-01 11:05:00,unreachable,",
    ],
    "regions": [
        '440300,Shenzhen,440000,city,"17,790,000",3.46e12,1997.5',
        "440305,Nanshan,440300,county,1820000,,",
    ],
}


def write(path: Path, lines: Sequence[str], *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write ``lines`` as a text file (trailing newline included)."""
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchall()[0][0])


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(line, column, reason, raw) of every reject, in line order."""
    return con.execute('SELECT line, "column", reason, raw FROM rejects ORDER BY line').fetchall()
