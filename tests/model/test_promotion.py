"""The promotion rule: a version replaces the champion only when it is at least as good on every gate."""

from __future__ import annotations

import pytest

from fraudkit.model.promotion import decide
from fraudkit.model.registry import Comparison

NAN = float("nan")


@pytest.mark.parametrize(
    ("rows", "promoted"),
    [
        ([("auc_pr", 0.80, 0.80), ("precision_at_k", 0.50, 0.40), ("warned_share", 0.90, 0.90)], True),
        ([("auc_pr", 0.90, 0.80), ("precision_at_k", 0.39, 0.40), ("warned_share", 0.95, 0.90)], False),
        ([("auc_pr", 0.70, 0.80), ("precision_at_k", 0.50, NAN)], False),
        ([("auc_pr", NAN, 0.80)], False),  # a candidate that cannot be measured is not as good
        ([("auc_pr", 0.80, NAN), ("recall_at_k", 0.1, 0.9)], True),  # no measurable gate: promote
    ],
)
def test_a_new_version_is_promoted_only_when_at_least_as_good_on_every_gate(
    rows: list[tuple[str, float, float]], promoted: bool
) -> None:
    decision = decide(Comparison("victim", "2", "1", rows))
    assert decision.promote is promoted
    assert ("not promoted" in decision.summary) is not promoted
    assert "champion v1 on the same test days" in decision.summary
    assert len(decision.gates) == 3  # one line per gate, measurable or not


def test_the_loss_is_named_with_both_figures() -> None:
    rows = [("auc_pr", 0.9, 0.8), ("precision_at_k", 0.39, 0.40), ("warned_share", 0.95, 0.90)]
    decision = decide(Comparison("victim", "2", "1", rows))
    assert decision.worse == ["precision@k 0.390 against 0.400"]
    assert "precision@k: 0.390 vs champion 0.400 -> WORSE" in decision.gates


def test_a_tolerance_lets_a_small_loss_through() -> None:
    rows = [("auc_pr", 0.795, 0.80)]
    assert not decide(Comparison("victim", "2", "1", rows)).promote
    assert decide(Comparison("victim", "2", "1", rows), tolerance=0.01).promote


@pytest.mark.parametrize(("champion", "said"), [(None, "there was none"), ("2", "the first version")])
def test_with_no_other_champion_there_is_nothing_to_lose(champion: str | None, said: str) -> None:
    decision = decide(Comparison("victim", "2", champion, [("auc_pr", 0.1, None)]))
    assert decision.promote and said in decision.summary
