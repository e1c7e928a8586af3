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

_ENDED_IN_SPAN = """
        FROM calls
        WHERE start_time >= $first AND start_time < $until
          AND coalesce(kind, 'voice') = 'voice' AND duration_s > 0
          AND start_time + to_seconds(duration_s) >= $since
          AND start_time + to_seconds(duration_s) < $until
          AND caller IS NOT NULL AND callee IS NOT NULL AND caller <> callee"""
"""The answered voice calls between two numbers that ended in [``$since``, ``$until``) (begun from ``$first``):
the calls a span's contacts and follow-ups are among, for both queries below."""

CONTACT_NUMBERS = f"""
    WITH ended AS (
        SELECT caller, callee, duration_s, least(caller, callee) AS lo, greatest(caller, callee) AS hi{_ENDED_IN_SPAN}
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


LONGEST_CALL = "SELECT max(duration_s) FROM calls"
"""The longest call's seconds: a call that ended at or after a time began at most this long before it."""

HOOKED_NUMBERS = f"""
    WITH long AS (
        SELECT caller, least(caller, callee) AS lo, greatest(caller, callee) AS hi,
               start_time + to_seconds(duration_s) AS ended
        FROM calls
        WHERE start_time >= $hook_first AND start_time < $until
          AND coalesce(kind, 'voice') = 'voice' AND duration_s >= $min_s
          AND start_time + to_seconds(duration_s) >= $hook_since
          AND start_time + to_seconds(duration_s) < $until
          AND caller IS NOT NULL AND callee IS NOT NULL AND caller <> callee
    ),
    ended AS (
        SELECT DISTINCT least(caller, callee) AS lo, greatest(caller, callee) AS hi{_ENDED_IN_SPAN}
    ),
    live AS (SELECT l.* FROM long l SEMI JOIN ended e ON l.lo = e.lo AND l.hi = e.hi),
    touched AS (SELECT lo AS phone FROM live UNION SELECT hi FROM live),
    earlier AS (
        SELECT least(caller, callee) AS lo, greatest(caller, callee) AS hi, start_time AS began,
               start_time + to_seconds(coalesce(duration_s, 0)) AS ended
        FROM calls
        WHERE start_time >= $events_from AND start_time < $until
          AND caller IN (SELECT phone FROM touched) AND callee IN (SELECT phone FROM touched)
          AND caller <> callee
    ),
    hooks AS (
        SELECT lo, hi FROM live l
        WHERE l.caller IN (SELECT fraud_phone FROM reports WHERE reported_at < $until AND fraud_phone IS NOT NULL)
           OR NOT EXISTS (
               SELECT 1 FROM earlier k WHERE k.lo = l.lo AND k.hi = l.hi AND k.ended < l.ended
                 AND k.began >= l.ended - to_seconds($history_s) AND k.began < l.ended - to_seconds($new_s)
           )
    )
    SELECT DISTINCT phone FROM (SELECT lo AS phone FROM hooks UNION ALL SELECT hi FROM hooks)
    """
"""Numbers of the contacts that ended in [``$since``, ``$until``), narrower than
:data:`CONTACT_NUMBERS`: the pairs of a long voice call that ended since ``$hook_since`` and was
first in touch within ``$new_s`` seconds (no earlier call of the pair begun ``$history_s`` to
``$new_s`` seconds before it ended, among those begun from ``$events_from``) or whose caller a
report names, with an answered call of the pair that ended in the span (the long call itself or
a follow-up); ``$first`` and ``$hook_first`` bound the calls' starts."""


def numbers_calls(numbers: str) -> str:
    """Calls begun in [``$start``, ``$until``) made or taken by the numbers (column ``phone``) of the
    relation ``numbers``, or made from a handset one of them called from in that time; one scan."""
    mine = f"(SELECT phone FROM {numbers})"
    return (
        f"SELECT {CONTACT_CALL_COLUMNS} FROM calls WHERE start_time >= $start AND start_time < $until "
        f"AND (caller IN {mine} OR callee IN {mine} OR caller_imei IN ("
        "SELECT DISTINCT caller_imei FROM calls WHERE start_time >= $start AND start_time < $until "
        f"AND caller IN {mine} AND caller_imei IS NOT NULL))"
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


# --- the registry's own sqlite file, read for the champion (fraudkit.model.registry) ------------

REGISTRY_ALIAS_VERSION = "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?"
"""The version an alias of a registered model points at, in MLflow's sqlite registry (no MLflow import)."""

REGISTRY_VERSION_RUN = "SELECT run_id, status FROM model_versions WHERE name = ? AND version = ?"
"""The run and status of a registered version, in MLflow's sqlite registry."""
