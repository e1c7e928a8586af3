"""The canonical tables cut to what the features read as of T (:mod:`fraudkit.features.frames`):
events in [``$start``, ``$as_of``), the rest as it stood before ``$as_of``; amounts as DOUBLE."""

from __future__ import annotations

from fraudkit.schema import SUCCESSFUL

TRANSACTIONS = (
    "SELECT txn_id, ts, src_account, dst_account, CAST(amount AS DOUBLE) AS amount, currency, channel, status "
    f"FROM transactions WHERE ts >= $start AND ts < $as_of AND {SUCCESSFUL}"
)
"""Transfers of the look-back that moved money (failed ones stay behind)."""

CALLS = (
    "SELECT call_id, caller, callee, start_time, duration_s, kind, caller_imei, cell_id, roaming "
    "FROM calls WHERE start_time >= $start AND start_time < $as_of"
)
"""Calls that began in the look-back."""

ACCOUNTS = (
    "SELECT account_id, holder_id, phone, bank, opened_at, account_type, region "
    "FROM accounts WHERE opened_at IS NULL OR opened_at < $as_of"
)
"""Accounts opened before as_of (or with no opening date)."""

SUBSCRIBERS = (
    "SELECT phone, holder_id, activated_at, region, plan "
    "FROM subscribers WHERE activated_at IS NULL OR activated_at < $as_of"
)
"""SIMs activated before as_of (or with no activation date)."""

REPORTS = (
    "SELECT report_id, reported_at, victim_phone, victim_account, fraud_phone, fraud_account, "
    "CAST(loss_amount AS DOUBLE) AS loss_amount FROM reports WHERE reported_at < $as_of"
)
"""Reports filed before as_of; the contact model reads the same (:mod:`fraudkit.engine.sql.model`)."""
