"""The catalogue store's side of a lake ingest: which ingest files a kind has, and their rows."""

from __future__ import annotations

from fraudkit.engine.sql import column_list, quote_ident
from fraudkit.schema import Table

INGEST_FILES = "SELECT file_id, file_sha256 FROM ingest_files WHERE kind = $kind ORDER BY file_id"
"""The files loaded into a canonical table (``$kind``), by the id their rows' keys are recorded under."""

AMBIGUOUS = "__fraudkit_ambiguous"
"""The flag :func:`rows_of_files` sets on a row whose key hash an earlier file also recorded."""


def rows_of_files(table: Table) -> str:
    """The stored rows of ``table`` that the files ``$files`` (ids) loaded, found by their key hash in
    ``ingest_keys``, each flagged (:data:`AMBIGUOUS`) when another file of ``$kind`` recorded the same hash:
    a hash collision with an older row, which only the key itself can tell apart."""
    keys = f"hash({column_list(list(table.key))})"
    return f"""
        SELECT {column_list(table.column_names)},
               {keys} IN (SELECT k.key_hash FROM ingest_keys k JOIN ingest_files f ON f.file_id = k.file_id
                          WHERE f.kind = $kind AND NOT list_contains($files, k.file_id)) AS {quote_ident(AMBIGUOUS)}
        FROM {quote_ident(table.name)}
        WHERE {keys} IN (SELECT key_hash FROM ingest_keys WHERE list_contains($files, file_id))
        """
