"""Words in messages: counts agree with their nouns, lists read as prose, a typo finds its name."""

from __future__ import annotations

import pytest

from fraudkit.text import did_you_mean, join_words, plural, short_amount, singular_of


@pytest.mark.parametrize(
    ("n", "word", "text"),
    [
        (1, "row", "1 row"),
        (0, "row", "0 rows"),
        (2, "row", "2 rows"),
        (12_345, "row", "12,345 rows"),
        (1, "person", "1 person"),
        (3, "person", "3 people"),
        (2, "match", "2 matches"),
        (2, "entity", "2 entities"),
        (2, "day", "2 days"),
        (1, "open alert", "1 open alert"),
        (4, "later contact", "4 later contacts"),
        (2.0, "call", "2 calls"),
        (1.5, "day", "1.50 days"),
    ],
)
def test_plural(n: float, word: str, text: str) -> None:
    assert plural(n, word) == text


@pytest.mark.parametrize(
    ("many", "one"),
    [
        ("rows", "row"),
        ("matches", "match"),
        ("entities", "entity"),
        ("people", "person"),
        ("days", "day"),
        ("batches", "batch"),
        ("yuan", "yuan"),
        ("stages", "stage"),
        ("", ""),
    ],
)
def test_singular_of_undoes_plural_of(many: str, one: str) -> None:
    """A progress line says '1 batch done', not '1 batche' (the old cut of a trailing s)."""
    assert singular_of(many) == one


def test_join_words_never_shows_a_list() -> None:
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["parquet", "csv"]) == "parquet or csv"
    assert join_words(["a", "b", "c"], last="and") == "a, b and c"


@pytest.mark.parametrize(
    ("typed", "known", "said"),
    [
        ("--windw", ["--window", "--within", "--top"], "; did you mean --window?"),
        ("trans", ["transactions", "calls"], "; did you mean transactions?"),
        ("scna", ["scan", "synth", "status"], "; did you mean scan?"),
        ("zzz", ["scan", "synth"], ""),
    ],
)
def test_did_you_mean(typed: str, known: list[str], said: str) -> None:
    assert did_you_mean(typed, known) == said


@pytest.mark.parametrize(
    ("value", "text"),
    [(9_617.2, "9,617"), (67_000, "67,000"), (488_031.37, "488k"), (1_234_567, "1,235k"), (12_300_000, "12.3M")],
)
def test_short_amount_fits_six_characters(value: float, text: str) -> None:
    assert short_amount(value) == text and len(text) <= 6
