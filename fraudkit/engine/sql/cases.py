"""The case file's queries over the DuckDB store: the ring's accounts matched back from their
pseudonyms, every transfer touching its members in its span, their accounts and the reports on them
(see :mod:`fraudkit.cases.export`). Values are bound (``$start``, ``$end``, lists of accounts)."""

from __future__ import annotations

from fraudkit.schema import SUCCESSFUL

SPAN_ACCOUNTS = """
        SELECT src_account AS account FROM transactions
        WHERE ts >= $start AND ts < $end AND src_account IS NOT NULL
        UNION
        SELECT dst_account FROM transactions
        WHERE ts >= $start AND ts < $end AND dst_account IS NOT NULL
        """
"""Every account at either end of a transfer in the span (``$start`` included, ``$end`` not): the
candidates whose pseudonyms are matched to the ring's (each distinct account hashed once)."""

RING_TRANSFERS = f"""
        SELECT txn_id, ts, src_account, dst_account, amount::DOUBLE AS amount, currency, channel, status,
               {SUCCESSFUL} AS moved
        FROM transactions
        WHERE ts >= $start AND ts < $end
          AND (list_contains($members, src_account) OR list_contains($members, dst_account))
        ORDER BY ts, txn_id
        """
"""Every transfer of the span with a member (``$members``: full account numbers) at either end, failed
ones too (an attempt is evidence); ``moved`` says whether it moved money (what the sums count)."""

ACCOUNT_DETAILS = """
        SELECT account_id, holder_id, phone, bank, opened_at, account_type, region
        FROM accounts WHERE list_contains($accounts, account_id)
        """
"""The bank's record of each account of ``$accounts``: holder, registered phone, bank, opened."""

RING_REPORTS = """
        SELECT report_id, reported_at, victim_phone, victim_account, fraud_phone, fraud_account,
               loss_amount::DOUBLE AS loss_amount
        FROM reports
        WHERE list_contains($victims, victim_account) OR list_contains($members, fraud_account)
        ORDER BY reported_at, report_id
        """
"""The reports of a victim that paid the ring (``$victims``) or that name a member as the account paid."""
