"""Tiny hand-built canonical frames for the feature tests: one helper per table, typed as in the store."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

T = datetime(2024, 3, 10)  # as_of in every test: window from 2024-03-03, history from 2024-02-09
WINDOW = timedelta(days=7)
HISTORY = timedelta(days=30)
TS = pl.Datetime("us")

TXN_SCHEMA = {
    "txn_id": pl.String,
    "ts": TS,
    "src_account": pl.String,
    "dst_account": pl.String,
    "amount": pl.Float64,
    "currency": pl.String,
    "channel": pl.String,
    "status": pl.String,
}
CALL_SCHEMA = {
    "call_id": pl.String,
    "caller": pl.String,
    "callee": pl.String,
    "start_time": TS,
    "duration_s": pl.Int32,
    "kind": pl.String,
    "caller_imei": pl.String,
    "cell_id": pl.String,
    "roaming": pl.Boolean,
}
ACCOUNT_SCHEMA = {
    "account_id": pl.String,
    "holder_id": pl.String,
    "phone": pl.String,
    "bank": pl.String,
    "opened_at": TS,
    "account_type": pl.String,
    "region": pl.String,
}
SUBSCRIBER_SCHEMA = {
    "phone": pl.String,
    "holder_id": pl.String,
    "activated_at": TS,
    "region": pl.String,
    "plan": pl.String,
}
REPORT_SCHEMA = {
    "report_id": pl.String,
    "reported_at": TS,
    "victim_phone": pl.String,
    "victim_account": pl.String,
    "fraud_phone": pl.String,
    "fraud_account": pl.String,
    "loss_amount": pl.Float64,
}


def _frame(rows: list[dict], schema: dict) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=schema, orient="row").lazy() if rows else pl.LazyFrame(schema=schema)


def txns(*rows: tuple) -> pl.LazyFrame:
    """(ts, src, dst, amount[, channel[, status]]) tuples."""
    out = []
    for i, row in enumerate(rows):
        ts, src, dst, amount, *rest = row
        channel = rest[0] if rest else "mobile"
        status = rest[1] if len(rest) > 1 else "success"
        out.append(
            {
                "txn_id": f"t{i}",
                "ts": ts,
                "src_account": src,
                "dst_account": dst,
                "amount": float(amount),
                "currency": "CNY",
                "channel": channel,
                "status": status,
            }
        )
    return _frame(out, TXN_SCHEMA)


def calls(*rows: tuple) -> pl.LazyFrame:
    """(start_time, caller, callee, duration_s[, kind[, imei[, roaming]]]) tuples."""
    out = []
    for i, row in enumerate(rows):
        ts, caller, callee, duration, *rest = row
        out.append(
            {
                "call_id": f"c{i}",
                "caller": caller,
                "callee": callee,
                "start_time": ts,
                "duration_s": duration,
                "kind": rest[0] if rest else "voice",
                "caller_imei": rest[1] if len(rest) > 1 else None,
                "cell_id": "cell-1",
                "roaming": rest[2] if len(rest) > 2 else False,
            }
        )
    return _frame(out, CALL_SCHEMA)


def accounts(*rows: tuple) -> pl.LazyFrame:
    """(account_id, holder_id[, opened_at[, phone]]) tuples."""
    out = []
    for row in rows:
        account_id, holder, *rest = row
        out.append(
            {
                "account_id": account_id,
                "holder_id": holder,
                "phone": rest[1] if len(rest) > 1 else None,
                "bank": "bank",
                "opened_at": rest[0] if rest else None,
                "account_type": "personal",
                "region": "r",
            }
        )
    return _frame(out, ACCOUNT_SCHEMA)


def subscribers(*rows: tuple) -> pl.LazyFrame:
    """(phone, holder_id[, activated_at]) tuples."""
    out = [
        {
            "phone": phone,
            "holder_id": holder,
            "activated_at": rest[0] if rest else None,
            "region": "r",
            "plan": "p",
        }
        for phone, holder, *rest in rows
    ]
    return _frame(out, SUBSCRIBER_SCHEMA)


def reports(*rows: dict) -> pl.LazyFrame:
    """Dicts with reported_at and any of victim_phone, victim_account, fraud_phone, fraud_account."""
    out = [{**{k: None for k in REPORT_SCHEMA}, "report_id": f"r{i}", **row} for i, row in enumerate(rows)]
    return _frame(out, REPORT_SCHEMA)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    """A time in 2024 (March unless told): at(9, 10, 20) is 2024-03-09 10:20."""
    return datetime(2024, month, day, hour, minute)


def value(frame: pl.DataFrame, key_col: str, key: str, feature: str) -> float:
    """One feature of one entity; fails clearly when the entity has no row."""
    rows = frame.filter(pl.col(key_col) == key)
    assert rows.height == 1, f"expected one row for {key_col}={key!r}, got {rows.height}"
    return rows[feature][0]
