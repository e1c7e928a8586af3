"""The money trace's queries (:mod:`fraudkit.scan.trace`): the transfers a hop may follow, cash points,
and the report a trace starts from.

Every transfer a trace follows moved money (:func:`fraudkit.schema.successful`), went to another
account and carried a positive amount. The frames a query joins (an account's windows, candidate cash
points) are views the trace registers under fresh names; the functions here take those names and
quote them. Every value is a bound parameter.
"""

from __future__ import annotations

from fraudkit.engine.sql import quote_ident
from fraudkit.schema import successful

SUCCESS = successful("t")
"""The transfer ``t`` moved money."""

TXN_COLUMNS = "t.txn_id, t.ts, t.src_account, t.dst_account, CAST(t.amount AS DOUBLE) AS amount, t.channel"
"""What a trace reads of a transfer ``t``, the amount as DOUBLE."""


def seed_transfers(*, since: bool, until: bool, to: bool) -> str:
    """The successful transfers ``$account`` sent to another account, in time order; with ``since`` only
    from ``$lo`` on, with ``until`` only up to ``$hi`` (both included), with ``to`` only those to ``$dst``."""
    where = ["t.src_account = $account", "t.dst_account <> t.src_account", "t.amount > 0", SUCCESS]
    for clause, wanted in (("t.ts >= $lo", since), ("t.ts <= $hi", until), ("t.dst_account = $dst", to)):
        if wanted:
            where.append(clause)
    return f"SELECT {TXN_COLUMNS} FROM transactions AS t WHERE {' AND '.join(where)} ORDER BY t.ts, t.txn_id"


def outgoing(windows: str) -> str:
    """The successful transfers out of each account of ``windows`` (account, lo, hi) to another account
    within its ``[lo, hi]``; the two ``?`` bound all the windows (the earliest lo, the latest hi) so the
    scan of ``transactions`` can skip by time."""
    return (
        f"SELECT {TXN_COLUMNS} FROM transactions AS t JOIN {quote_ident(windows)} AS w ON t.src_account = w.account "
        f"WHERE t.ts >= w.lo AND t.ts <= w.hi AND t.ts >= ? AND t.ts <= ? "
        f"AND t.dst_account <> t.src_account AND t.amount > 0 AND {SUCCESS}"
    )


def cash_points(candidates: str) -> str:
    """The accounts of ``candidates`` (account) that never sent money and received ATM or third-party
    withdrawals: a bank's cash account, a platform's settlement account."""
    return (
        f"SELECT c.account FROM {quote_ident(candidates)} AS c "
        "WHERE NOT EXISTS (SELECT 1 FROM transactions AS t WHERE t.src_account = c.account AND "
        f"{SUCCESS}) AND EXISTS (SELECT 1 FROM transactions AS t WHERE t.dst_account = c.account "
        "AND t.channel IN ('atm', 'third_party'))"
    )


REPORT = (
    "SELECT report_id, reported_at, victim_account, fraud_account FROM reports WHERE report_id = ? "
    "ORDER BY reported_at LIMIT 1"
)
"""The report ``?`` (its earliest row if the id is repeated): victim account, fraud account and time."""
