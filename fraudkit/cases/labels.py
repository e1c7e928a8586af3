"""Case verdicts as mule labels for training: the members of confirmed rings are positives (grouped by
their ring, so a ring sits in one fold), those of false-positive rings stay negative.

Ring members are the DuckDB store's keyed pseudonyms; training rows carry real account numbers, so
the rows' accounts are pseudonymised with the store's key to meet them, in memory only: no full
number goes anywhere new, and no pseudonym leaves with the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from fraudkit.cases.cases import case_labels
from fraudkit.engine.sql.store import STORE_FILE
from fraudkit.exposure import pseudonym_series, read_store_secret
from fraudkit.text import plural

if TYPE_CHECKING:
    import duckdb

    from fraudkit.model.external import Quality

c = pl.col


@dataclass(frozen=True)
class Verdicts:
    """Known mules after the case verdicts are added, and a line saying what they added."""

    known: pl.DataFrame
    note: str


def store_verdicts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """:func:`case_labels` of the operational store of the DuckDB store ``con`` is open on (the file
    beside it, or ``FRAUDKIT_OPS_DB``), or None when there is none: reading never makes one."""
    from fraudkit.ops.db import default_ops_url, ops_engine, ops_url

    found = con.execute(STORE_FILE).fetchone()
    if not found or not found[0] or found[0] == ":memory:":
        return None
    db = Path(found[0])
    url = ops_url(db)
    if url == default_ops_url(db) and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = ops_engine(url)
    try:
        return case_labels(engine)
    finally:
        engine.dispose()


def with_verdicts(
    known: pl.DataFrame, accounts: pl.Series, verdicts: pl.DataFrame, con: duckdb.DuckDBPyConnection
) -> Verdicts | None:
    """``known`` (``account_id``, ``group``) with the members of confirmed rings among ``accounts``
    added, group the ring; an account named by a report and a confirmed ring takes the ring's group.
    None when no verdict meets a row (or the store has no key, so no ring could name its accounts)."""
    secret = read_store_secret(con)
    if secret is None or verdicts.is_empty():
        return None
    distinct = accounts.cast(pl.String).drop_nulls().unique()
    rows = pl.DataFrame({"account_id": distinct, "account": pseudonym_series(distinct, secret)})
    met = rows.join(verdicts, on="account").sort("ring_id")
    if met.is_empty():
        return None
    confirmed = met.filter(c("label") == 1).unique("account_id", keep="first", maintain_order=True)
    positives = confirmed.select("account_id", c("ring_id").alias("group"))
    reported = known.filter(~c("account_id").is_in(positives["account_id"].implode()))
    negative = met.filter((c("label") == 0) & ~c("account_id").is_in(known["account_id"].implode()))
    negative = negative.filter(~c("account_id").is_in(positives["account_id"].implode()))
    rings = confirmed["ring_id"].n_unique()
    note = (
        f"labels from cases: {plural(positives.height, 'member')} of {plural(rings, 'confirmed ring')} "
        f"({positives.height - (known.height - reported.height)} not named by a report); "
        f"{plural(negative['account_id'].n_unique(), 'member')} of false-positive rings kept negative"
    )
    return Verdicts(pl.concat([positives, reported.select(positives.columns)]), note)


def scan_verdict_quality(result: Any, verdicts: pl.DataFrame, secret: bytes) -> Quality:
    """A scan (``scan.scan.ScanResult``) held to the case verdicts: its flagged accounts that a verdict
    judged (members of confirmed or false-positive rings) are the flagged ones, those of confirmed
    rings the hits; the known bad are the confirmed rings' members among every account the scan
    clustered. Only judged accounts count, so the figures say how the scan agrees with investigators,
    not how much it misses outside the rings they opened."""
    from fraudkit.model.external import Quality

    members = result.members.select("cluster_id", pseudonym_series(result.members["account"], secret).alias("account"))
    flagged = members.filter(c("cluster_id").is_in(result.flagged["cluster_id"].implode()))["account"].unique()
    judged = verdicts.select("account", "label").unique("account", keep="last")
    confirmed = judged.filter(c("label") == 1)["account"]
    seen = members["account"].unique()
    flagged_judged = flagged.filter(flagged.is_in(judged["account"].implode()))
    return Quality(
        accounts=seen.len(),
        known_bad=int(seen.is_in(confirmed.implode()).sum()),
        flagged=flagged_judged.len(),
        hits=int(flagged_judged.is_in(confirmed.implode()).sum()),
    )
