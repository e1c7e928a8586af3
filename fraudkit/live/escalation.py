"""Escalation: a person with an open alert pays a suspect account, so the alert turns urgent at once.

A suspect account is one of: a member of the latest water-house scan (the scan tables hold
keyed pseudonyms, so transfers are pseudonymised with the store's key to meet them, as
``warn.listing.money_involved`` does); an account named in a report; or the receiver of the
payer's first transfer to it, of at least ``large_amount``, when the account was first seen
(opened, or in any transfer) within ``new_account_within`` before. Transfers are read back
``account_history`` (30 days) before the oldest watched alert, not from the start of the store,
so a tick costs the same on a store a year old: an account with no opening date and no transfer
in that span counts as new (a dormant account woken by a large payment is as suspect). Each such transfer becomes
a ``bank_requests`` row (freeze / stop-payment: account, amount, time), and the day's urgent
list for banks is rewritten as a masked CSV beside the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fraudkit.engine.sql import live as sql
from fraudkit.exposure import mask_frame, pseudonym_series, read_store_secret
from fraudkit.live.config import WatchConfig
from fraudkit.model import frames
from fraudkit.ops.schema import alerts, bank_requests
from fraudkit.store import table_exists

c = pl.col


def suspect_payments(
    con: duckdb.DuckDBPyConnection, watched: pl.DataFrame, horizon: datetime, config: WatchConfig
) -> pl.DataFrame:
    """Transfers made before ``horizon`` since the contact by people of ``watched`` (alert_id,
    phone, contact_start) to a suspect account: alert_id, account, amount, paid_at, reason."""
    schema = {"alert_id": pl.String, "account": pl.String, "amount": pl.Float64, "paid_at": pl.Datetime("us")}
    if watched.is_empty():
        return pl.DataFrame(schema=schema | {"reason": pl.String})
    con.register("live_watched", watched.select("alert_id", "phone", "contact_start"))
    try:
        params = {
            "horizon": horizon,
            "history_from": horizon - config.open_for - config.account_history,
            "large": config.large_amount,
            "new_s": config.new_account_within.total_seconds(),
        }
        paid = con.sql(sql.PAYMENTS, params=params).pl()
        members = _scan_members(con, horizon)
    finally:
        con.unregister("live_watched")
    if paid.is_empty():
        return pl.DataFrame(schema=schema | {"reason": pl.String})
    secret = read_store_secret(con)
    keys = pseudonym_series(paid["account"].cast(pl.String), secret) if secret is not None else paid["account"]
    scanned = keys.is_in(members.implode()) if members is not None else pl.Series([False] * paid.height)
    reason = (
        pl.when(scanned)
        .then(pl.lit("paid a water-house member account"))
        .when(c("reported"))
        .then(pl.lit("paid an account named in a fraud report"))
        .when(c("new_large"))
        .then(pl.lit("first large transfer to an account first seen hours before"))
    )
    return (
        paid.with_columns(scanned.alias("_scanned"))
        .with_columns(reason.alias("reason"))
        .filter(c("reason").is_not_null())
        .select(*schema, "reason")
        .sort("paid_at", "alert_id", "account")
    )


def _scan_members(con: duckdb.DuckDBPyConnection, horizon: datetime) -> pl.Series | None:
    at = frames.latest_before(con, "scan_members", "as_of", horizon)
    if at is None or not table_exists(con, "scan_clusters"):
        return None
    return con.sql(sql.FLAGGED_MEMBERS, params={"at": at}).pl()["account"]


def escalate(engine: Any, payments: pl.DataFrame, now: datetime) -> int:
    """Mark the alerts urgent (once, at their first suspect payment), write the bank requests and
    put back in the queue an alert already called whose person paid again after the call;
    returns how many alerts became urgent now."""
    from sqlalchemy import update

    from fraudkit.live.alerts import _insert_ignore

    if payments.is_empty():
        return 0
    first = payments.sort("paid_at").unique("alert_id", keep="first", maintain_order=True)
    became = 0
    with engine.begin() as conn:
        conn.execute(
            _insert_ignore(engine, bank_requests, ["alert_id", "account", "paid_at"]),
            [
                {**row, "created_at": now}
                for row in payments.select("alert_id", "account", "amount", "paid_at").to_dicts()
            ],
        )
        for row in first.iter_rows(named=True):
            result = conn.execute(
                update(alerts)
                .where(alerts.c.alert_id == row["alert_id"], alerts.c.urgent.is_(False))
                .values(
                    urgent=True,
                    urgent_at=now,
                    urgent_reason=row["reason"],
                    channel="bank",
                    account_paid=row["account"],
                    amount_paid=row["amount"],
                )
            )
            became += result.rowcount or 0
        # a person already called who pays a suspect account after the call is still being
        # defrauded: the alert goes back to the queue (urgent) for another call
        for row in payments.sort("paid_at").unique("alert_id", keep="last").iter_rows(named=True):
            conn.execute(
                update(alerts)
                .where(
                    alerts.c.alert_id == row["alert_id"],
                    alerts.c.status == "called",
                    alerts.c.closed_at < row["paid_at"],
                )
                .values(status="new", claimed_by=None, claimed_at=None, closed_at=None)
            )
    return became


def request_count(engine: Any) -> int:
    """Bank requests written so far: a tick rewrites the day's list only when this grew."""
    from sqlalchemy import func, select

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(bank_requests)).scalar_one())


def write_bank_list(engine: Any, folder: Path, day: datetime, *, grant: Any = None) -> Path:
    """The urgent list for banks of ``day`` (requests created that day) as CSV, masked unless revealed."""
    from sqlalchemy import select

    from fraudkit.atomic import write_file
    from fraudkit.exposure import revealed

    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    query = (
        select(
            bank_requests.c.alert_id,
            bank_requests.c.account,
            bank_requests.c.amount,
            bank_requests.c.paid_at,
            bank_requests.c.created_at.label("requested_at"),
            alerts.c.phone,
            alerts.c.urgent_reason,
        )
        .join(alerts, alerts.c.alert_id == bank_requests.c.alert_id)
        .where(bank_requests.c.created_at >= start, bank_requests.c.created_at < start + timedelta(days=1))
        .order_by(bank_requests.c.created_at, bank_requests.c.request_id)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    table = pl.DataFrame(
        rows,
        schema={
            "alert_id": pl.String,
            "account": pl.String,
            "amount": pl.Float64,
            "paid_at": pl.Datetime("us"),
            "requested_at": pl.Datetime("us"),
            "phone": pl.String,
            "urgent_reason": pl.String,
        },
        orient="row",
    )
    shown = table if revealed(grant) else mask_frame(table, {"alert_id": "id", "urgent_reason": "text"})
    return write_file(folder / f"bank-requests-{start:%Y%m%d}.csv", lambda tmp: shown.write_csv(tmp))
