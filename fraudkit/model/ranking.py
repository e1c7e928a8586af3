"""One order for every ranked list of scores, with ties broken the same documented way each time.

A tree model gives many rows the very same score (a few hundred distinct values over thousands
of contacts), so the order among equal scores decides who is called. The keys, in order:

- contacts (victim): the probability, highest first; then the contact that ended **latest**
  first (the person is likeliest still on the phone or about to pay: most left to save, as the
  capacity replay calls them); then the contact id (the operator's call id, no personal data).
- phones (fraud_number): the probability; then the most **distinct strangers called** in the
  window (the number reaching most new people); then the rows' own order.
- accounts (mule): the probability; then the most **money received** in the window
  (``amount_in``: the most at stake); then the rows' own order.

"The rows' own order" is the training set's (day, then entity): it survives pseudonymisation,
so a model compared later on its stored test rows ranks them exactly as it did in training.
The probability is a strictly increasing map of the raw margin (``calibration``), so equal
probabilities are equal margins: the margin would break no tie the probability leaves.
"""

from __future__ import annotations

import polars as pl

from fraudkit.model.params import Target

SECOND_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "victim": (("scored_at", True), ("contact_id", False)),
    "fraud_number": (("distinct_strangers_called", True),),
    "mule": (("amount_in", True),),
}
"""Per target, the tie-breaking (column, descending) keys after the score; see the module docstring."""


def order_keys(target: Target | str, columns: list[str], score: str = "score") -> tuple[list[str], list[bool]]:
    """The sort columns and directions of ``target``'s order, keeping the keys ``columns`` holds."""
    keys = [(score, True), *((name, desc) for name, desc in SECOND_KEYS.get(target, ()) if name in columns)]
    return [k for k, _ in keys], [d for _, d in keys]


def rank(frame: pl.DataFrame, target: Target | str, score: str = "score") -> pl.DataFrame:
    """``frame`` in ranked order: ``score`` highest first, ties by ``SECOND_KEYS``, then row order."""
    by, descending = order_keys(target, frame.columns, score)
    return frame.sort(by, descending=descending, nulls_last=True, maintain_order=True)
