"""The queries of the ring tracking's evaluation over the DuckDB store (the rings themselves live in
the operational store and are read with SQLAlchemy)."""

from __future__ import annotations

FRAUD_TRANSFERS_OF = """
        SELECT txn_id, ts, src_account AS src, dst_account AS dst
        FROM transactions WHERE list_contains($ids, txn_id)
        """
"""The transfers ``$ids`` (a list of txn ids): the truth's laundering transfers, with their two ends."""
