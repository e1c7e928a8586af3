"""Connected components as iterative SQL that runs unchanged on DuckDB and on Spark SQL.

Minimum-label propagation with pointer jumping, over the graph of labels rather than of nodes, so
that a whole labelled region moves at once: every node starts labelled with its own id; in each
round every label hooks onto the smallest label adjacent to any of its nodes, the hooks are
followed to their roots by pointer jumping (each jump doubles the distance covered, two per query), and every
node takes its label's root. Hooks only point to smaller labels, so a label is always the smallest
id of the nodes carrying it; every round at least halves the labels of an unfinished component, so
rounds grow with the log of its size, jumps with the log of its longest chain. When no label has a
smaller neighbour, each component carries one label: its smallest node id, on every engine.

Each engine only says how to materialise a query as a named relation (a temp table on DuckDB, a
persisted, now and then checkpointed temp view on Spark), count, and rename; the rounds, the
stopping rules and every SQL text are here, once. The relations are ``cc_input`` (``src``,
``dst`` as strings, given by the engine), ``cc_edges``, ``cc_labels``, ``cc_hooks``, ``cc_jumped``
and ``cc_next``: fixed internal names, never user text.
"""

from __future__ import annotations

from typing import Protocol

from fraudkit.errors import FraudkitError

EDGES_SQL = """
SELECT src AS a, dst AS b FROM cc_input WHERE src IS NOT NULL AND dst IS NOT NULL
UNION
SELECT dst AS a, src AS b FROM cc_input WHERE src IS NOT NULL AND dst IS NOT NULL
"""
"""Both directions of every edge, once each: components are weak (direction does not matter)."""

START_SQL = "SELECT DISTINCT a AS node, a AS label FROM cc_edges"
"""Every node that has an edge, labelled with itself."""

HOOK_SQL = """
SELECT l.label AS node, least(l.label, min(nl.label)) AS label
FROM cc_labels l
JOIN cc_edges e ON e.a = l.node
JOIN cc_labels nl ON nl.node = e.b
GROUP BY l.label
"""
"""Each label (as ``node``) and the smallest label next to any of its nodes (itself if none is smaller)."""

HOOKED_SQL = "SELECT count(*) FROM cc_hooks WHERE label < node"
"""Labels that will merge this round; zero means every component carries one label: done."""

JUMP_SQL = """
WITH twice AS (
    SELECT h.node, coalesce(p.label, h.label) AS label
    FROM cc_hooks h LEFT JOIN cc_hooks p ON p.node = h.label
)
SELECT t.node, coalesce(p.label, t.label) AS label
FROM twice t LEFT JOIN twice p ON p.node = t.label
"""
"""Two pointer jumps in one query: each hook then points four times as far along its chain of hooks."""

UNROOTED_SQL = "SELECT count(*) FROM cc_jumped h JOIN cc_jumped p ON p.node = h.label WHERE p.label <> h.label"
"""Hooks that still point at a label that is hooked further; zero means every hook points at a root."""

RELABEL_SQL = """
SELECT l.node, coalesce(h.label, l.label) AS label
FROM cc_labels l LEFT JOIN cc_hooks h ON h.node = l.label
"""
"""Every node takes the root of its label."""

RESULT_SQL = "SELECT node, label AS component FROM cc_labels ORDER BY node"
"""The answer: one row per node, ordered by node."""

RELATIONS = ("cc_input", "cc_edges", "cc_labels", "cc_hooks", "cc_jumped", "cc_next")

DEFAULT_MAX_ROUNDS = 200
"""Rounds (and jumps per round) before giving up; about 2 * log2 of the graph's size are needed."""


class ComponentsEngine(Protocol):
    """What an engine provides for :func:`label_components`; ``cc_input`` is already registered."""

    def materialize(self, name: str, sql: str) -> None:
        """Make ``sql``'s result the relation ``name`` (replacing it), computed now or by the next count."""

    def count(self, sql: str) -> int:
        """The single integer ``sql`` returns."""

    def rename(self, source: str, target: str) -> None:
        """Make the relation ``source`` the new ``target`` (dropping the old ``target``)."""


def label_components(engine: ComponentsEngine, max_rounds: int = DEFAULT_MAX_ROUNDS) -> int:
    """Run the rounds on ``engine`` until every component carries one label; ``cc_labels`` then holds
    the answer (read it with :data:`RESULT_SQL`). Returns the number of queries run, rounds and jumps."""
    engine.materialize("cc_edges", EDGES_SQL)
    engine.materialize("cc_labels", START_SQL)
    steps = 0
    for _ in range(max_rounds):
        engine.materialize("cc_hooks", HOOK_SQL)
        steps += 1
        if engine.count(HOOKED_SQL) == 0:
            return steps
        for _ in range(max_rounds):
            engine.materialize("cc_jumped", JUMP_SQL)
            steps += 1
            unrooted = engine.count(UNROOTED_SQL)
            engine.rename("cc_jumped", "cc_hooks")
            if unrooted == 0:
                break
        engine.materialize("cc_next", RELABEL_SQL)
        steps += 1
        engine.rename("cc_next", "cc_labels")
    raise FraudkitError(
        f"connected components did not converge in {max_rounds} rounds",
        hint="raise max_rounds; rounds grow with the log of the largest component",
    )
