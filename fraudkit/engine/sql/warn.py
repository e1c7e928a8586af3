"""The call-back list's queries (:mod:`fraudkit.warn.listing`): what the listed people paid since
their contact, and the suspect accounts and water houses it is checked against."""

from __future__ import annotations

from fraudkit.engine.sql import quote_ident
from fraudkit.engine.sql.scan import FLAGGED
from fraudkit.schema import successful


def linked_accounts(people: str, key: str, began: str) -> str:
    """The accounts of each person of the relation ``people`` (its ``phone``, with its ``key`` and
    ``began`` columns kept): those of the holder of the SIM, and those registered with the phone.
    The one rule for "this person's accounts", for the call-back list and the live escalation alike."""
    cols = f"p.{quote_ident(key)}, p.{quote_ident(began)}, a.account_id"
    return (
        f"SELECT {cols} FROM {people} p "
        "JOIN subscribers s ON s.phone = p.phone JOIN accounts a ON a.holder_id = s.holder_id "
        f"UNION SELECT {cols} FROM {people} p JOIN accounts a ON a.phone = p.phone"
    )


LISTED_PAYMENTS = f"""
            WITH linked AS ({linked_accounts("warn_listed", "phone", "contact_began")})
            SELECT k.phone, t.dst_account AS account, CAST(t.amount AS DOUBLE) AS amount, t.ts
            FROM linked k JOIN transactions t ON t.src_account = k.account_id
            WHERE t.ts >= k.contact_began AND t.ts < $as_of AND {successful("t")}
            """
"""Transfers that moved money from the accounts of the listed people (relation ``warn_listed``: their
own, or registered with their phone) since their contact began and before ``$as_of``."""

REPORTED_ACCOUNTS = (
    "SELECT DISTINCT fraud_account AS account FROM reports WHERE reported_at < $as_of AND fraud_account IS NOT NULL"
)
"""Accounts named as paid in a report filed before ``$as_of``."""


def flagged_members(label: str) -> str:
    """The members of the clusters the scan at ``$at`` flagged, with their cluster's ``label`` column
    (``cluster_label``, or ``cluster_id`` in scans saved before labels) as ``cluster``."""
    return (
        f"SELECT account, {quote_ident(label)} AS cluster FROM scan_members "
        f"WHERE as_of = $at AND cluster_id IN ({FLAGGED})"
    )


def flagged_clusters(label: str) -> str:
    """The clusters the scan at ``$at`` flagged, by their ``label`` column as ``cluster``, with their fraud phones."""
    return f"SELECT {quote_ident(label)} AS cluster, fraud_phones FROM scan_clusters WHERE as_of = $at AND flagged"
