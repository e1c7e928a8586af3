"""The live loop's queries (:mod:`fraudkit.live`): its watermark, what a tick reads (the numbers of
the calls that ended and their bounded history), the suspect payments that escalate an alert, the
outcomes copied back from the work queue, and what a replay's clock makes visible."""

from __future__ import annotations

from fraudkit.engine.sql import model
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

TICK_NUMBERS = model.CONTACT_NUMBERS
"""The numbers of a tick's contacts: :data:`fraudkit.engine.sql.model.CONTACT_NUMBERS`, which
``warn`` and ``train`` read their spans' contacts by too (named here for the engines' tests)."""

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
