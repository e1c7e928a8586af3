"""The promotion rule, once: when a new version may replace the champion.

`fraudkit train --promote`, `fraudkit models promote`, the demo and the retraining notebook all
decide with :func:`decide`, so a version the comparison calls worse never serves the call-back
list by one path and not by another. Overriding it takes ``force`` (``--force``), said out loud.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fraudkit.model.registry import Comparison

PROMOTION_GATES = {"precision_at_k": "precision@k", "warned_share": "warned share", "auc_pr": "AUC-PR"}
"""What a new version must match the champion on: a day's calls reaching victims (precision@k),
victims warned in time, and the ranking as a whole. A gate the champion cannot be measured on is no gate."""

PROMOTE_TOLERANCE = 0.0
"""How far below the champion a gate metric may fall and still count as "as good": none by default,
so a tie (the same world trained again) promotes and any loss keeps the champion."""


@dataclass(frozen=True)
class Decision:
    """Whether the candidate may become champion, with a line per gate and one sentence for a log."""

    promote: bool
    summary: str
    gates: list[str] = field(default_factory=list)
    worse: list[str] = field(default_factory=list)


def _num(value: float) -> str:
    return "-" if value != value else f"{value:.3f}"


def decide(comparison: Comparison, tolerance: float = PROMOTE_TOLERANCE) -> Decision:
    """The rule: promote when, on every gate the champion can be measured on, the candidate is at
    least as good (within ``tolerance``), both scored on the candidate's own test days. With no
    champion, or when the candidate is the champion, there is nothing to lose."""
    if comparison.champion is None:
        return Decision(True, "promoted to champion (there was none)", [comparison.note])
    if comparison.champion == comparison.candidate:
        return Decision(True, "champion (the first version)", [comparison.note])
    figures = {metric: (cand, champ) for metric, cand, champ in comparison.rows}
    gates: list[str] = []
    worse: list[str] = []
    measured: list[str] = []
    for metric, label in PROMOTION_GATES.items():
        cand, champ = figures.get(metric, (float("nan"), None))
        if champ is None or champ != champ:
            gates.append(f"{label}: champion not measurable, no gate")
            continue
        measured.append(label)
        passed = cand == cand and cand >= champ - tolerance
        gates.append(f"{label}: {_num(cand)} vs champion {_num(champ)} -> {'as good' if passed else 'WORSE'}")
        if not passed:
            worse.append(f"{label} {_num(cand)} against {_num(champ)}")
    against = f"champion v{comparison.champion} on the same test days"
    if worse:
        return Decision(False, f"not promoted ({', '.join(worse)} for {against})", gates, worse)
    names = ", ".join(measured) or "no measurable gate"
    return Decision(True, f"promoted to champion (at least as good as {against}: {names})", gates)
