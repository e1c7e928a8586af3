"""The scan's per-shard queries on a lake (:mod:`fraudkit.engine.spark_scan`): which transfers are fast at
the end a shard owns, and the fast edges summed as :func:`fraudkit.engine.sql.scan.fast_flow_edges` sums them.

A shard holds every transfer of the accounts it owns, so the money an owned sender last received
before a transfer, and the next money an owned receiver sends on after it, are the whole store's.
"""

from __future__ import annotations

from fraudkit.engine.sql import quote_ident
from fraudkit.engine.sql.scan import exact_sum


def fast_ends(transfers: str) -> str:
    """Per transfer of ``transfers`` (txn_id, ts, src, dst): ``src_fast``, its sender received money at most
    ``$h`` hours before it, and ``dst_fast``, its receiver sends money on at most ``$h`` hours after it (the
    two time tests of :func:`fraudkit.engine.sql.scan.fast_flow_edges`)."""
    tx = quote_ident(transfers)
    return f"""
        WITH inflow AS (SELECT dst AS account, ts FROM {tx}),
        outflow AS (SELECT src AS account, ts FROM {tx}),
        e1 AS (
            SELECT t.txn_id, t.ts, t.src, t.dst, i.ts AS prev_in
            FROM {tx} t ASOF LEFT JOIN inflow i ON t.src = i.account AND t.ts >= i.ts
        ),
        e2 AS (
            SELECT e1.*, o.ts AS next_out
            FROM e1 ASOF LEFT JOIN outflow o ON e1.dst = o.account AND o.ts >= e1.ts
        )
        SELECT txn_id, src, dst,
               coalesce(prev_in IS NOT NULL AND epoch(ts - prev_in) <= $h * 3600, false) AS src_fast,
               coalesce(next_out IS NOT NULL AND epoch(next_out - ts) <= $h * 3600, false) AS dst_fast
        FROM e2
        """


def edge_sums(transfers: str) -> str:
    """The transfers of ``transfers`` summed per (src, dst): money (exactly), count, first and last time."""
    tx = quote_ident(transfers)
    return f"""
        SELECT src, dst, {exact_sum("amount")} AS amount, count(*) AS n_txns, min(ts) AS first_ts,
               max(ts) AS last_ts
        FROM {tx}
        GROUP BY src, dst
        ORDER BY src, dst
        """
