"""One exception hierarchy: every error a user can cause is a FraudkitError.

The CLI turns these into one-line messages (with a hint where there is one)
instead of tracebacks; anything else is a bug in fraudkit and may show one.
"""

from __future__ import annotations

from pathlib import Path


class FraudkitError(Exception):
    """Base for errors caused by input, configuration or environment, not by bugs."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        """The message as shown to a user: one line, hint appended."""
        text = " ".join(str(self).split())
        return f"{text} (hint: {self.hint})" if self.hint else text


class ConfigError(FraudkitError):
    """A setting, option or mapping file is invalid."""


class InputFileError(FraudkitError):
    """An input file cannot be read at all; names the file and, where known, line and column."""

    def __init__(
        self,
        path: str | Path,
        reason: str,
        *,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = str(path)
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f" column {column!r}"
        super().__init__(f"{where}: {reason}", hint=hint)
        self.path = str(path)
        self.line = line
        self.column = column


class StoreError(FraudkitError):
    """The DuckDB store failed a query; carries the logical table and the query."""

    def __init__(self, message: str, *, table: str | None = None, query: str | None = None) -> None:
        prefix = f"table {table!r}: " if table else ""
        super().__init__(prefix + message)
        self.table = table
        self.query = query


class NotReadyError(FraudkitError):
    """A stage needs something an earlier stage makes (e.g. no data ingested yet)."""


class EngineCapabilityError(FraudkitError):
    """The chosen engine cannot do what a command asked of it; names the engine and the capability."""

    def __init__(self, engine: str, capability: str, *, hint: str | None = None) -> None:
        super().__init__(f"the {engine} engine cannot {capability}", hint=hint)
        self.engine = engine
        self.capability = capability
