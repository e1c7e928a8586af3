"""Labels from outside: a centre's own list of known bad accounts, and the scores measured against it.

A labels file is a CSV (plain or gzip-compressed) or Parquet file with one row per known bad
account: column ``account_id`` (or ``account``), and optionally ``group``, the case or alert
number that ties accounts of one ring together (used as the split group, so no case sits in both
training and test). Accounts not in the file count as not known to be bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fraudkit.errors import ConfigError
from fraudkit.model.metrics import average_precision

c = pl.col
ACCOUNT_COLUMNS = ("account_id", "account")
LABEL_COLUMNS = {"account_id": pl.String, "group": pl.String}
"""A read labels file: the account, and its group (null when the file has none)."""


def _read(path: Path) -> pl.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pl.read_parquet(path)
        if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            return pl.read_csv(path, infer_schema=False, separator="\t" if ".tsv" in name else ",")
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"labels file {path}: cannot be read ({first})") from None
    raise ConfigError(f"labels file {path}: not a .csv, .csv.gz or .parquet file")


def read_labels(path: str | Path) -> pl.DataFrame:
    """The known bad accounts of a labels file (``LABEL_COLUMNS``), one row per account.

    A one-line error names the file and what is wrong with it: missing, unreadable, no account
    column, no account at all. An account listed twice keeps its first group.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"labels file {p} does not exist", hint="pass a CSV or Parquet file with column account_id")
    raw = _read(p)
    column = next((name for name in ACCOUNT_COLUMNS if name in raw.columns), None)
    if column is None:
        found = ", ".join(raw.columns[:8]) or "none"
        raise ConfigError(
            f"labels file {p}: no column 'account_id' (or 'account'); columns found: {found}",
            hint="name the column of known bad accounts account_id; an optional column group holds the case id",
        )
    group = c("group").cast(pl.String) if "group" in raw.columns else pl.lit(None, pl.String)
    labels = (
        raw.select(c(column).cast(pl.String).str.strip_chars().alias("account_id"), group.alias("group"))
        .filter(c("account_id").is_not_null() & (c("account_id") != ""))
        .unique("account_id", keep="first", maintain_order=True)
    )
    if labels.is_empty():
        raise ConfigError(f"labels file {p}: column {column!r} holds no account")
    return labels


def truth_labels(mules: pl.DataFrame) -> pl.DataFrame:
    """A synthetic world's mules (truth/mules) as labels, grouped by ring."""
    group = c("ring_id").cast(pl.String) if "ring_id" in mules.columns else pl.lit(None, pl.String)
    return mules.select(c("account_id").cast(pl.String), group.alias("group")).unique("account_id", keep="first")


@dataclass(frozen=True)
class Quality:
    """Account-level precision, recall and F1 of a set of flagged accounts (and PR-AUC of scores)."""

    accounts: int
    known_bad: int
    flagged: int
    hits: int
    auc_pr: float = float("nan")

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        return self.hits / self.known_bad if self.known_bad else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if self.hits else 0.0

    def rows(self) -> list[tuple[str, str]]:
        """(measure, value) pairs for a table."""
        out = [
            ("accounts scored", f"{self.accounts:,}"),
            ("known bad (labels)", f"{self.known_bad:,}"),
            ("flagged", f"{self.flagged:,}"),
            ("flagged and known bad", f"{self.hits:,}"),
            ("precision", f"{self.precision:.3f}"),
            ("recall", f"{self.recall:.3f}"),
            ("F1", f"{self.f1:.3f}"),
        ]
        if not np.isnan(self.auc_pr):
            out.append(("PR-AUC", f"{self.auc_pr:.3f}"))
        return out


def scored_quality(scored: pl.DataFrame, labels: pl.DataFrame, *, key: str = "account_id") -> Quality:
    """Quality of scored rows (``key``, ``score``, ``flagged``) against labels; known bad accounts
    that were not scored (no activity as of T) count as missed."""
    bad = labels["account_id"].cast(pl.String).implode()
    y = scored[key].cast(pl.String).is_in(bad).cast(pl.Int8).to_numpy()
    hits = int((scored["flagged"].to_numpy().astype(bool) & (y == 1)).sum())
    return Quality(
        accounts=scored.height,
        known_bad=labels.height,
        flagged=int(scored["flagged"].sum() or 0),
        hits=hits,
        auc_pr=average_precision(y, scored["score"].to_numpy()) if y.any() else float("nan"),
    )


def flagged_quality(flagged: pl.Series, labels: pl.DataFrame, *, accounts: int) -> Quality:
    """Quality of a set of flagged accounts (e.g. the members of the scan's flagged clusters)."""
    flagged_set = flagged.cast(pl.String).unique()
    hits = int(flagged_set.is_in(labels["account_id"].cast(pl.String).implode()).sum())
    return Quality(accounts=accounts, known_bad=labels.height, flagged=flagged_set.len(), hits=hits)


def scan_quality(result: Any, labels: pl.DataFrame) -> Quality:
    """Account-level quality of a scan (``scan.scan.ScanResult``) against labels: the members of its
    flagged clusters are the flagged accounts; every account in a cluster counts as scanned."""
    flagged_ids = set(result.flagged["cluster_id"].to_list())
    members = result.members
    flagged = members.filter(c("cluster_id").is_in(list(flagged_ids)))["account"]
    return flagged_quality(flagged, labels, accounts=members["account"].n_unique())
