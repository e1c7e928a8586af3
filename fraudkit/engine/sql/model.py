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

# --- the calls a span's contacts need (fraudkit.model.frames.contact_inputs) --------------------

CONTACT_NUMBERS = """
    WITH ended AS (
        SELECT caller, callee, duration_s, least(caller, callee) AS lo, greatest(caller, callee) AS hi
        FROM calls
        WHERE start_time >= $first AND start_time < $until
          AND coalesce(kind, 'voice') = 'voice' AND duration_s > 0
          AND start_time + to_seconds(duration_s) >= $since
          AND start_time + to_seconds(duration_s) < $until
          AND caller IS NOT NULL AND callee IS NOT NULL AND caller <> callee
    ),
    hooks AS (
        SELECT DISTINCT least(caller, callee) AS lo, greatest(caller, callee) AS hi FROM calls
        WHERE start_time >= $hook_first AND start_time < $until AND coalesce(kind, 'voice') = 'voice'
          AND duration_s >= $min_s
          AND start_time + to_seconds(duration_s) >= $hook_since
          AND start_time + to_seconds(duration_s) < $until
    ),
    chosen AS (
        SELECT caller, callee FROM ended WHERE duration_s >= $min_s
        UNION ALL
        SELECT e.caller, e.callee FROM ended e SEMI JOIN hooks h ON e.lo = h.lo AND e.hi = h.hi
    )
    SELECT DISTINCT phone FROM (SELECT caller AS phone FROM chosen UNION ALL SELECT callee FROM chosen)
    """
"""Numbers of the voice calls that ended in [``$since``, ``$until``) and could be contacts (at least
``$min_s`` long) or their follow-ups (any answered call between a pair with such a call that ended
since ``$hook_since``); ``$first`` and ``$hook_first`` bound the calls' starts."""


def numbers_calls(numbers: str) -> str:
    """Calls begun in [``$start``, ``$until``) made or taken by the numbers (column ``phone``) of the
    relation ``numbers``."""
    return (
        f"SELECT {CONTACT_CALL_COLUMNS} FROM calls WHERE start_time >= $start AND start_time < $until "
        f"AND (caller IN (SELECT phone FROM {numbers}) OR callee IN (SELECT phone FROM {numbers}))"
    )


def handsets_calls(imeis: str) -> str:
    """Calls begun in [``$start``, ``$until``) made from the handsets (column ``imei``) of the relation ``imeis``."""
    return (
        f"SELECT {CONTACT_CALL_COLUMNS} FROM calls WHERE start_time >= $start AND start_time < $until "
        f"AND caller_imei IN (SELECT imei FROM {imeis})"
    )


def numbers_subscribers(numbers: str) -> str:
    """The SIMs of the numbers of the relation ``numbers`` activated before ``$until`` (or undated)."""
    return (
        "SELECT phone, holder_id, activated_at FROM subscribers "
        f"WHERE (activated_at IS NULL OR activated_at < $until) AND phone IN (SELECT phone FROM {numbers})"
    )


def numbers_accounts(numbers: str) -> str:
    """Accounts opened before ``$until`` (or undated) registered with the numbers of the relation
    ``numbers`` or held by the holders of their SIMs."""
    return (
        "SELECT account_id, holder_id, phone, opened_at, account_type FROM accounts "
        f"WHERE (opened_at IS NULL OR opened_at < $until) AND (phone IN (SELECT phone FROM {numbers}) "
        f"OR holder_id IN (SELECT holder_id FROM subscribers WHERE phone IN (SELECT phone FROM {numbers})))"
    )
