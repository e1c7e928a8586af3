"""The live loop's queries (:mod:`fraudkit.live`): its watermark, what a tick reads (the numbers of
the calls that ended and their bounded history), the suspect payments that escalate an alert, the
outcomes copied back from the work queue, and what a replay's clock makes visible."""

from __future__ import annotations

from fraudkit.engine.sql.model import CONTACT_CALL_COLUMNS
from fraudkit.engine.sql.scan import FLAGGED
from fraudkit.engine.sql.warn import linked_accounts
from fraudkit.schema import successful


def memory_limit(limit: str) -> str:
    """Cap the session's memory at ``limit`` (a constant such as ``'2GB'``; DuckDB binds nothing in SET)."""
    return f"SET memory_limit = '{limit}'"


# --- the watermark (fraudkit.live.state) ------------------------------------------------------

WATERMARK_DDL = """
CREATE TABLE IF NOT EXISTS live_watermarks (
    loop VARCHAR PRIMARY KEY,
    scored_until TIMESTAMP NOT NULL,
    ticked_at TIMESTAMP NOT NULL
)
"""
"""One row per loop (``live``, ``replay``): contacts ended before ``scored_until`` are scored."""

WATERMARK = "SELECT scored_until FROM live_watermarks WHERE loop = ?"
"""The loop's watermark (no row: it never ticked)."""

WRITE_WATERMARK = (
    "INSERT INTO live_watermarks VALUES (?, ?, ?) "
    "ON CONFLICT (loop) DO UPDATE SET scored_until = excluded.scored_until, ticked_at = excluded.ticked_at"
)
"""Set the loop's watermark (loop, scored until, ticked at)."""

INGEST_MARK = "SELECT count(*), coalesce(max(file_id), 0) FROM ingest_files"
"""(files, highest file id) ingested so far: changes whenever any process ingests a file."""

# --- what a tick reads (fraudkit.live.state) -------------------------------------------------

TICK_NUMBERS = """
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

NUMBERS_CALLS = (
    f"SELECT {CONTACT_CALL_COLUMNS} FROM calls WHERE start_time >= $start AND start_time < $until "
    "AND (caller IN (SELECT phone FROM live_numbers) OR callee IN (SELECT phone FROM live_numbers))"
)
"""Calls of the look-back made or taken by the tick's numbers (relation ``live_numbers``)."""

HANDSETS_CALLS = (
    f"SELECT {CONTACT_CALL_COLUMNS} FROM calls WHERE start_time >= $start AND start_time < $until "
    "AND caller_imei IN (SELECT imei FROM live_imeis)"
)
"""Calls of the look-back made from the handsets the tick's numbers called from (relation ``live_imeis``)."""

NUMBERS_SUBSCRIBERS = (
    "SELECT phone, holder_id, activated_at FROM subscribers "
    "WHERE (activated_at IS NULL OR activated_at < $until) AND phone IN (SELECT phone FROM live_numbers)"
)
"""The SIMs of the tick's numbers activated before ``$until``."""

NUMBERS_ACCOUNTS = (
    "SELECT account_id, holder_id, phone, opened_at, account_type FROM accounts "
    "WHERE (opened_at IS NULL OR opened_at < $until) AND (phone IN (SELECT phone FROM live_numbers) "
    "OR holder_id IN (SELECT holder_id FROM subscribers WHERE phone IN (SELECT phone FROM live_numbers)))"
)
"""Accounts opened before ``$until`` registered with the tick's numbers or held by their holders."""

# --- escalation (fraudkit.live.escalation) ---------------------------------------------------

PAYMENTS = f"""
WITH watched AS (SELECT * FROM live_watched),
linked AS ({linked_accounts("watched", "alert_id", "contact_start")}),
paid AS (
    SELECT k.alert_id, t.src_account, t.dst_account AS account, CAST(t.amount AS DOUBLE) AS amount, t.ts
    FROM linked k JOIN transactions t ON t.src_account = k.account_id
    WHERE t.ts >= k.contact_start AND t.ts < $horizon AND {successful("t")}
),
touching AS MATERIALIZED (
    -- the history of the paid accounts, read in one scan of transactions (not one per use, nor
    -- a join ON dst OR src: a nested loop over every transfer)
    SELECT txn_id, src_account, dst_account, ts FROM transactions
    WHERE ts >= $history_from AND ts < $horizon
      AND (dst_account IN (SELECT account FROM paid) OR src_account IN (SELECT account FROM paid))
),
receivers AS (
    SELECT account, min(first) AS first_seen FROM (
        SELECT p.account, min(t.ts) AS first FROM (SELECT DISTINCT account FROM paid) p
        JOIN touching t ON t.dst_account = p.account OR t.src_account = p.account GROUP BY ALL
        UNION ALL
        SELECT account_id, opened_at FROM accounts WHERE account_id IN (SELECT account FROM paid)
    ) GROUP BY ALL
),
earlier AS (
    SELECT p.alert_id, p.account, p.ts, count(t.txn_id) AS before
    FROM paid p LEFT JOIN touching t
      ON t.src_account = p.src_account AND t.dst_account = p.account AND t.ts < p.ts
    GROUP BY ALL
)
SELECT p.alert_id, p.account, p.amount, p.ts AS paid_at,
       (p.account IN (SELECT fraud_account FROM reports WHERE reported_at < $horizon)) AS reported,
       (e.before = 0 AND p.amount >= $large AND r.first_seen >= p.ts - to_seconds($new_s)) AS new_large
FROM paid p JOIN earlier e USING (alert_id, account, ts) LEFT JOIN receivers r USING (account)
"""
"""The transfers before ``$horizon`` that people with an open alert (relation ``live_watched``) made
since their contact: whether the receiver is named in a report, and whether it was the payer's first
transfer to it, of at least ``$large``, to an account first seen within ``$new_s`` seconds before."""

FLAGGED_MEMBERS = f"SELECT m.account FROM scan_members m WHERE m.as_of = $at AND m.cluster_id IN ({FLAGGED})"
"""Members of the clusters the scan flagged: an unflagged candidate is no reason to call a bank."""

# --- the work queue's outcomes as labels (fraudkit.live.alerts) -------------------------------

EXPORT_OUTCOMES = (
    "INSERT INTO outcomes (phone, contacted_at, result, note) SELECT n.phone, n.contacted_at, n.result, n.note "
    "FROM live_outcomes n ANTI JOIN outcomes o ON o.phone = n.phone AND o.contacted_at = n.contacted_at"
)
"""Append the outcomes of the relation ``live_outcomes`` that ``outcomes`` does not hold yet."""

# --- what a replay's clock makes visible (fraudkit.live.loop) --------------------------------

VISIBLE_CALLS = (
    "SELECT count(*) FROM calls WHERE start_time >= ? AND start_time < ? "
    "AND start_time + to_seconds(coalesce(duration_s, 0)) >= ?"
)
"""Calls started in [``?``, ``?``) that ended at or after ``?``."""

VISIBLE_TRANSFERS = "SELECT count(*) FROM transactions WHERE ts >= ? AND ts < ?"
"""Transfers in [``?``, ``?``)."""
