"""What the models read from the store (:mod:`fraudkit.model.frames`, :mod:`fraudkit.model.dataset`):
canonical tables cut to a time, the first loss of reported pairs, and who was active on a day.
Reports are read as the features read them: :data:`fraudkit.engine.sql.features.REPORTS`."""

from __future__ import annotations

from fraudkit.schema import successful

CONTACT_CALL_COLUMNS = "call_id, caller, callee, start_time, duration_s, kind, caller_imei, roaming"
"""The call columns a contact's features read (batch and live alike)."""

CALLS_BETWEEN = f"SELECT {CONTACT_CALL_COLUMNS} FROM calls WHERE start_time >= $start AND start_time < $until"
"""Calls that began in [``$start``, ``$until``)."""

SUBSCRIBERS_BEFORE = (
    "SELECT phone, holder_id, activated_at FROM subscribers WHERE activated_at IS NULL OR activated_at < $until"
)
"""SIMs activated before ``$until`` (or with no activation date)."""

ACCOUNTS_BEFORE = (
    "SELECT account_id, holder_id, phone, opened_at, account_type FROM accounts "
    "WHERE opened_at IS NULL OR opened_at < $until"
)
"""Accounts opened before ``$until`` (or with no opening date)."""

OUTCOMES_BETWEEN = (
    "SELECT phone, contacted_at, result, note FROM outcomes WHERE contacted_at < $until AND contacted_at >= $since"
)
"""Call-back outcomes recorded in [``$since``, ``$until``)."""


def first_transfer_to(pairs: str) -> str:
    """Per (victim_account, fraud_account) of the relation ``pairs``, the first successful transfer
    between them before ``$until``, as ``first_loss_at``."""
    return (
        f"SELECT p.victim_account, p.fraud_account, min(t.ts) AS first_loss_at FROM {pairs} p "
        "JOIN transactions t ON t.src_account = p.victim_account AND t.dst_account = p.fraud_account "
        f"WHERE t.ts < $until AND {successful('t')} GROUP BY ALL"
    )


ACTIVE_CALLERS = "SELECT DISTINCT caller AS key FROM calls WHERE start_time >= $s AND start_time < $e"
"""Phones that made a call in [``$s``, ``$e``), as ``key``."""
