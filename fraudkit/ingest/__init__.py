"""Load users' CSV/Parquet files into the canonical DuckDB tables.

Files are checked up front (readable, decodable, columns resolvable), then each loads in
one transaction: good rows into the canonical table (deduplicated by key), bad rows into
``rejects`` with file, line, column and reason, and the file's fingerprint into
``ingest_log`` so re-ingesting it adds nothing. See :mod:`fraudkit.ingest.mapping` for
the mapping-file format.
"""

from fraudkit.ingest.mapping import (
    Mapping,
    load_mapping,
    mapping_from_dict,
    parse_mapping,
    shipped_mappings,
    with_encoding,
)
from fraudkit.ingest.pipeline import FileResult, IngestSummary, ProgressEvent, ingest_paths
from fraudkit.ingest.validate import IngestSettings

__all__ = [
    "FileResult",
    "IngestSettings",
    "IngestSummary",
    "Mapping",
    "ProgressEvent",
    "ingest_paths",
    "load_mapping",
    "mapping_from_dict",
    "parse_mapping",
    "shipped_mappings",
    "with_encoding",
]
