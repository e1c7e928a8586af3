"""How good a ranking is for a team with a fixed daily capacity.

Definitions (also in the docstrings where they are computed):

- **AUC-PR**: average precision over the scored rows of the test days (each distinct score a threshold).
- **precision@k / recall@k**: the test days' rows ranked together by score (ties broken as
  ``ranking`` says), one per subscriber and day for victims (their highest-scored contact;
  positive if any contact is); of the k
  highest, the share that are positives, and the share of all positives they hold. k is the
  team's daily capacity, so this says "if the team had spent one day's calls on the best k
  cases of the whole test period". With fewer than k positives, precision@k cannot exceed
  positives / k; ``best_precision_at_k`` says so.
- **interception** (victims only): the capacity as it would have been used. On validation
  days, a score threshold is set so that alerts (one per subscriber and day) average
  ``capacity`` per day. On the test days, contacts are replayed in the order they ended; one
  at or above the threshold queues an alert; the team makes ``capacity`` calls a day, one
  every 24 h / capacity, each to the highest-scored alert waiting (see ``replay_calls``). A
  test victim (first loss on a test day) is *warned before the first transfer* when such a
  call reached them before their first loss, for a contact at most ``horizon`` before it.
  Lead time is first loss minus the call; loss stopped is the warned victims' total loss
  over all test victims' total loss (a warning is assumed to stop all of a victim's payments).
"""

from __future__ import annotations

import heapq
from datetime import timedelta

import numpy as np
import polars as pl

from fraudkit.model.ranking import rank

c = pl.col


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUC-PR as average precision (the step-wise area), with tied scores sharing one threshold."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(y.sum())
    if positives == 0 or len(y) == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    _, tp, precision = precision_at_each_score(y[order], s[order])
    recall = tp / positives
    previous = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - previous) * precision))


def precision_at_each_score(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by score, best first: the last position of each distinct score, the
    positives at or above it and their precision (tied scores share one threshold)."""
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    hits = np.cumsum(labels)[last_of_tie]
    return last_of_tie, hits, hits / (last_of_tie + 1)


def subscriber_days(scored: pl.DataFrame, label: str = "label") -> pl.DataFrame:
    """One row per subscriber and day, in the call-back list's order: the highest score (ties by
    ``ranking``: the latest contact, then the contact id), positive when any of the day's contacts is."""
    rows = scored.filter(c(label).is_not_null())
    return (
        rank(rows, "victim")
        .group_by("callee", "day", maintain_order=True)
        .agg(c("score").first(), c(label).max().alias("label"))
    )


def at_k(ranked: pl.DataFrame, k: int) -> dict[str, float]:
    """precision@k and recall@k of rows already ranked best first (columns ``label``).

    Also the best precision@k any ranking could reach: with fewer positives than k (a small
    world, a quiet week), even a perfect list is partly false alarms, so a figure below
    the target may be the data's limit rather than the model's.
    """
    positives = int(ranked["label"].sum() or 0)
    top = ranked.head(k)
    hits = int(top["label"].sum() or 0)
    slots = min(k, ranked.height)
    return {
        "precision_at_k": hits / slots if slots else float("nan"),
        "best_precision_at_k": min(positives, slots) / slots if slots else float("nan"),
        "recall_at_k": hits / positives if positives else float("nan"),
    }


def ranking_metrics(
    scored: pl.DataFrame, *, k: int, per_subscriber_day: bool, target: str = "victim"
) -> dict[str, float]:
    """AUC-PR on rows, and precision/recall@k on the ranking the team would work from (``ranking``'s order)."""
    rows = only_labelled(scored)
    ranked = subscriber_days(rows) if per_subscriber_day else rank(rows, target)
    out = {
        "auc_pr": average_precision(rows["label"].to_numpy(), rows["score"].to_numpy()),
        "rows": float(rows.height),
        "positives": float(rows["label"].sum() or 0),
        "positive_rate": float(rows["label"].mean() or 0.0) if rows.height else float("nan"),
    }
    out.update(at_k(ranked, k))
    return out


def only_labelled(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows with a label: the frame itself when every row has one (no copy of millions of rows)."""
    return rows if rows["label"].null_count() == 0 else rows.filter(c("label").is_not_null())


def capacity_threshold(scored_val: pl.DataFrame, capacity: int) -> float:
    """The score at which validation days would have raised ``capacity`` alerts a day on average.

    Alerts are counted per subscriber and day, as the team would call each person once a day.
    """
    per_day = scored_val.group_by("callee", "day").agg(c("score").max())
    days = max(per_day["day"].n_unique(), 1)
    wanted = capacity * days
    if per_day.height <= wanted:
        return float(per_day["score"].min()) if per_day.height else 0.0
    return float(per_day["score"].sort(descending=True)[wanted - 1])


def replay_calls(scored: pl.DataFrame, *, threshold: float, capacity: int, stale_after: timedelta) -> pl.DataFrame:
    """The call-backs a team making ``capacity`` calls a day would have made, slot by slot.

    Calls are spread evenly over each day (one every 24 h / capacity). Contacts scoring at or
    above ``threshold`` queue an alert when they end; at each slot the team calls the
    highest-scored alert waiting (ended before the slot, not older than ``stale_after``) of a
    subscriber not called yet that day; of equal scores, the latest contact first, then the
    contact id, as the call-back list orders them (``ranking``). Columns: callee, called_at, scored_at, score, label.
    """
    # by arrival; at one moment the larger contact id first, so that the heap's "latest first"
    # (the larger index) gives equal scores in ``ranking``'s order: latest contact, then contact id
    alerts = scored.filter(c("score") >= threshold).sort("scored_at", "contact_id", descending=[False, True])
    rows = alerts.select("callee", "scored_at", "score", c("label").fill_null(0)).rows()
    if not rows:
        return pl.DataFrame(
            schema={
                "callee": pl.String,
                "called_at": pl.Datetime("us"),
                "scored_at": pl.Datetime("us"),
                "score": pl.Float64,
                "label": pl.Int8,
            }
        )
    gap = timedelta(days=1) / capacity
    first_day = min(r[1] for r in rows).replace(hour=0, minute=0, second=0, microsecond=0)
    last = max(r[1] for r in rows).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    waiting: list[tuple[float, int, tuple]] = []
    calls = []
    called_today: set[str] = set()
    i, slot, day = 0, first_day, first_day
    while slot < last and (i < len(rows) or waiting):
        if slot >= day + timedelta(days=1):
            day, called_today = slot.replace(hour=0, minute=0, second=0, microsecond=0), set()
        while i < len(rows) and rows[i][1] <= slot:
            heapq.heappush(waiting, (-rows[i][2], -i, rows[i]))  # equal scores: the latest contact first
            i += 1
        while waiting:
            _, _, (callee, scored_at, score, label) = heapq.heappop(waiting)
            if scored_at >= slot - stale_after and callee not in called_today:
                calls.append((callee, slot, scored_at, score, label))
                called_today.add(callee)
                break
        slot += gap
    return pl.DataFrame(
        calls, schema=["callee", "called_at", "scored_at", "score", "label"], orient="row"
    ).with_columns(c("label").cast(pl.Int8))


def interception(
    scored: pl.DataFrame,
    victims: pl.DataFrame,
    *,
    threshold: float,
    capacity: int,
    horizon: timedelta = timedelta(hours=24),
) -> dict[str, float]:
    """Warned-before-first-transfer share, median lead time and loss stopped, as the module defines them.

    ``scored``: contacts (callee, contact_id, scored_at, day, score, label) from the test days
    and the ``horizon`` before them; ``victims``: the test victims (phone, first_loss_at, loss).
    """
    calls = replay_calls(scored, threshold=threshold, capacity=capacity, stale_after=horizon)
    days = max(scored["day"].n_unique(), 1)
    out = {
        "calls_per_day": calls.height / days,
        "call_precision": float(calls["label"].mean() or 0.0) if calls.height else float("nan"),
    }
    if victims.is_empty():
        return out | {
            "victims": 0.0,
            "warned_share": float("nan"),
            "median_lead_minutes": float("nan"),
            "loss_stopped_share": float("nan"),
        }
    warned = (
        victims.join(calls.rename({"callee": "phone"}), on="phone", how="inner")
        .with_columns(c("called_at").alias("_warned_at"))
        .filter((c("_warned_at") < c("first_loss_at")) & (c("scored_at") >= c("first_loss_at") - horizon))
        .group_by("phone")
        .agg(c("_warned_at").min(), c("first_loss_at").first(), c("loss").first())
        .with_columns(((c("first_loss_at") - c("_warned_at")).dt.total_seconds() / 60.0).alias("lead_minutes"))
        .sort("phone")  # sums in a fixed order: the same data gives the same figures to the last bit
    )
    total_loss = float(victims["loss"].sum() or 0.0)
    return out | {
        "victims": float(victims.height),
        "warned_victims": float(warned.height),
        "warned_share": warned.height / victims.height,
        "median_lead_minutes": float(warned["lead_minutes"].median()) if warned.height else float("nan"),
        "loss_stopped_share": float(warned["loss"].sum() or 0.0) / total_loss if total_loss else float("nan"),
    }
