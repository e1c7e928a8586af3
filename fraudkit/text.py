"""Words in messages: counts with the right plural, lists as prose, and a did-you-mean.

Every count a user reads ("1 row rejected", "3 alerts") and every list of names in a message
("one of transactions, calls or reports") goes through here, so no message says "1 rows" or
shows a Python list.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

IRREGULAR = {"person": "people", "was": "were", "is": "are", "has": "have", "this": "these"}
"""Plurals that are not the word plus -s or -es."""


def plural_of(word: str) -> str:
    """The plural of an English noun as fraudkit's messages use them: 'row' -> 'rows',
    'match' -> 'matches', 'entity' -> 'entities', 'person' -> 'people'."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def singular_of(word: str) -> str:
    """The singular of a plural :func:`plural_of` makes ('entities' -> 'entity', 'matches' ->
    'match', 'people' -> 'person'); a word that is not such a plural ('yuan') comes back as it is."""
    for one, many in IRREGULAR.items():
        if word == many:
            return one
    for cut in (3, 2, 1):  # try the longest ending first: 'entities', 'matches', 'rows'
        stem = word[:-cut]
        if len(stem) > 0 and plural_of(stem + ("y" if cut == 3 else "")) == word:
            return stem + ("y" if cut == 3 else "")
    return word


def noun(n: float, word: str, plural: str | None = None) -> str:
    """``word`` or its plural, as goes with the count ``n`` (1 takes the singular, 0 the plural)."""
    return word if n == 1 else (plural or plural_of(word))


def plural(n: float, word: str, plural: str | None = None) -> str:
    """'1 row', '2 rows', '12,345 rows', '0 alerts': a count with its noun, thousands separated.

    ``word`` may be several words whose last one is the noun ('open alert' -> '2 open alerts');
    ``plural`` names an irregular plural the rules here do not know."""
    head, _, last = word.rpartition(" ")
    counted = noun(n, last, plural.rpartition(" ")[2] if plural else None)
    number = f"{n:,.2f}" if isinstance(n, float) and not n.is_integer() else f"{int(n):,}"
    return f"{number} {head + ' ' if head else ''}{counted}"


def join_words(items: Iterable[object], last: str = "or") -> str:
    """'a', 'a or b', 'a, b or c': names as prose, never a list's repr."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def did_you_mean(typed: str, known: Iterable[str]) -> str:
    """'; did you mean --window?' when ``typed`` starts only one known name or is close to one
    (the closest), else ''."""
    names = list(known)
    starting = [name for name in names if typed and name.startswith(typed)]
    matches = starting if len(starting) == 1 else get_close_matches(typed, names, n=1, cutoff=0.6)
    return f"; did you mean {matches[0]}?" if matches else ""


def short_amount(value: float | None) -> str:
    """An amount in at most six characters for a narrow column: 9,617, 67,000, 488k, 1,235k,
    12.3M, 4.1B (full figures go to files); nothing for a missing one."""
    if value is None or value != value:
        return ""
    size = abs(value)
    if size < 100_000:
        return f"{value:,.0f}"
    if size < 10_000_000:
        return f"{value / 1e3:,.0f}k"
    if size < 1e9:
        return f"{value / 1e6:.1f}M"
    return f"{value / 1e9:,.1f}B"


def format_probability(p: float | None) -> str:
    """A probability as people read it: "71%", "7.5%", "0.4%", "<0.1%", ">99%" ("-" when unknown).

    Whole percents from 10% (a model is not sure to the decimal), one decimal below (0.4% and 0.8%
    differ: one is twice the other), and bounds at the ends so nothing reads as certain.
    """
    if p is None or p != p:
        return "-"
    if p < 0.001:
        return "<0.1%"
    if p < 0.0995:
        return f"{p * 100:.1f}%"
    if p >= 0.995:
        return ">99%"
    return f"{p * 100:.0f}%"
