"""Settings: one validated object, built once at the edge (CLI, notebook, pipeline) and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fraudkit.errors import ConfigError

ENV_DB = "FRAUDKIT_DB"
ENV_TRACKING = "MLFLOW_TRACKING_URI"


@dataclass(frozen=True)
class Settings:
    """Where state lives and how much of the machine to use.

    ``db_path``: the DuckDB file (``fraudkit.duckdb`` in the working directory by default).
    ``mlruns_dir`` / ``tracking_uri``: the MLflow store (sqlite backend under ``mlruns/``).
    """

    db_path: Path = Path("fraudkit.duckdb")
    mlruns_dir: Path = Path("mlruns")
    tracking_uri: str | None = None
    threads: int | None = None
    reveal: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be >= 1, got {self.threads}")
        if self.db_path.suffix not in {".duckdb", ".db", ""}:
            raise ConfigError(
                f"database file {self.db_path} should end in .duckdb",
                hint="pass --db something.duckdb",
            )

    @property
    def resolved_tracking_uri(self) -> str:
        """The MLflow tracking URI: explicit, else the environment, else sqlite under mlruns/."""
        if self.tracking_uri:
            return self.tracking_uri
        return f"sqlite:///{(self.mlruns_dir / 'mlflow.db').as_posix()}"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then environment (FRAUDKIT_DB, MLFLOW_TRACKING_URI), then explicit overrides."""
        values: dict[str, Any] = {}
        if os.environ.get(ENV_DB):
            values["db_path"] = Path(os.environ[ENV_DB])
        if os.environ.get(ENV_TRACKING):
            values["tracking_uri"] = os.environ[ENV_TRACKING]
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "db_path" in values:
            values["db_path"] = Path(values["db_path"])
        if "mlruns_dir" in values:
            values["mlruns_dir"] = Path(values["mlruns_dir"])
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
