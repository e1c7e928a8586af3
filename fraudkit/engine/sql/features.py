"""The canonical tables cut to what the features read as of T (:mod:`fraudkit.features.frames`):
events in [``$start``, ``$as_of``), the rest as it stood before ``$as_of``; amounts as DOUBLE.

The columns are named once (``COLUMNS``): the DuckDB texts below and the Spark reads of a lake
(:mod:`fraudkit.engine.spark_features`) select the same ones.
"""

from __future__ import annotations

from fraudkit.schema import SUCCESSFUL

COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("ts", "src_account", "dst_account", "amount", "channel", "status"),
    "calls": ("caller", "callee", "start_time", "duration_s", "kind", "caller_imei", "roaming"),
    "accounts": ("account_id", "holder_id", "phone", "opened_at"),
    "subscribers": ("phone", "holder_id", "activated_at"),
    "reports": (
        "report_id",
        "reported_at",
        "victim_phone",
        "victim_account",
        "fraud_phone",
        "fraud_account",
        "loss_amount",
    ),
}
"""What the feature producers read of each canonical table, and nothing more: at 1M subscribers the
ids and labels no producer reads (txn_id, call_id, cell_id, bank, ...) were a third of the frames' memory."""

AS_CATEGORIES = (
    "src_account",
    "dst_account",
    "caller",
    "callee",
    "caller_imei",
    "account_id",
    "holder_id",
    "phone",
    "victim_phone",
    "victim_account",
    "fraud_phone",
    "fraud_account",
    "channel",
)
"""Columns of ``COLUMNS`` read as Polars categories: the identifiers (``fraudkit.features.prepare.ID``) and
the transfer channel, a handful of words over millions of rows."""

AS_DOUBLE = ("amount", "loss_amount")
"""Money columns the producers take as DOUBLE (the store keeps DECIMAL(18,2))."""


def _select(table: str) -> str:
    cols = (f"CAST({c} AS DOUBLE) AS {c}" if c in AS_DOUBLE else c for c in COLUMNS[table])
    return f"SELECT {', '.join(cols)} FROM {table}"


TRANSACTIONS = f"{_select('transactions')} WHERE ts >= $start AND ts < $as_of AND {SUCCESSFUL}"
"""Transfers of the look-back that moved money (failed ones stay behind)."""

CALLS = f"{_select('calls')} WHERE start_time >= $start AND start_time < $as_of"
"""Calls that began in the look-back."""

ACCOUNTS = f"{_select('accounts')} WHERE opened_at IS NULL OR opened_at < $as_of"
"""Accounts opened before as_of (or with no opening date)."""

SUBSCRIBERS = f"{_select('subscribers')} WHERE activated_at IS NULL OR activated_at < $as_of"
"""SIMs activated before as_of (or with no activation date)."""

REPORTS = f"{_select('reports')} WHERE reported_at < $as_of"
"""Reports filed before as_of; the contact model reads the same (:mod:`fraudkit.engine.sql.model`)."""
