"""Settings: one validated object, built once at the edge (CLI, notebook, pipeline) and passed down."""

from __future__ import annotations

import os
import time
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fraudkit.errors import ConfigError

ENV_DB = "FRAUDKIT_DB"
ENV_TRACKING = "MLFLOW_TRACKING_URI"
ENV_TIMEZONE = "FRAUDKIT_TIMEZONE"
ENV_LOCK_WAIT = "FRAUDKIT_LOCK_WAIT"
DEFAULT_LOCK_WAIT_S = 30.0
MAX_LOCK_WAIT_S = 3600.0


def check_timezone(name: str, *, option: str = "timezone") -> str:
    """An IANA zone name (Asia/Shanghai, UTC, ...) as given; anything else is a one-line error."""
    text = (name or "").strip()
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{option} {name!r} is not a time zone", hint="write an IANA name, e.g. Asia/Shanghai or UTC"
        ) from None
    return text


def local_timezone() -> str:
    """The machine's zone as an IANA name: $TZ, else the /etc/localtime link, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            return check_timezone(tz)
        except ConfigError:
            pass
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        name = target.split("zoneinfo/", 1)[1]
        try:
            return check_timezone(name)
        except ConfigError:
            pass
    return "UTC" if time.timezone == 0 else f"Etc/GMT{time.timezone // 3600:+d}"


def default_timezone() -> str:
    """The zone a new store keeps its times in: $FRAUDKIT_TIMEZONE, else the machine's local zone."""
    env = os.environ.get(ENV_TIMEZONE, "").strip()
    return check_timezone(env, option=ENV_TIMEZONE) if env else local_timezone()


def check_lock_wait(seconds: float, *, option: str = "--lock-wait") -> float:
    """Seconds to wait for a store another process holds: 0 (do not wait) up to an hour."""
    if not 0 <= seconds <= MAX_LOCK_WAIT_S:
        raise ConfigError(f"{option} must be between 0 and {MAX_LOCK_WAIT_S:.0f} seconds, got {seconds}")
    return float(seconds)


def lock_wait_from_env() -> float:
    """$FRAUDKIT_LOCK_WAIT (seconds) or the default of 30 s."""
    text = os.environ.get(ENV_LOCK_WAIT, "").strip()
    if not text:
        return DEFAULT_LOCK_WAIT_S
    try:
        return check_lock_wait(float(text), option=ENV_LOCK_WAIT)
    except ValueError:
        raise ConfigError(f"{ENV_LOCK_WAIT} {text!r} is not a number of seconds") from None


@dataclass(frozen=True)
class Settings:
    """Where state lives and how much of the machine to use.

    ``db_path``: the DuckDB file (``fraudkit.duckdb`` in the working directory by default).
    ``mlruns_dir`` / ``tracking_uri``: the MLflow store (sqlite backend under ``mlruns/``).
    ``timezone``: the zone a new store keeps its times in ($FRAUDKIT_TIMEZONE, else the machine's);
    a store records its zone when created and keeps it (see :func:`fraudkit.store.connect`).
    ``lock_wait_s``: how long to wait for a store another process holds ($FRAUDKIT_LOCK_WAIT, 30 s).
    """

    db_path: Path = Path("fraudkit.duckdb")
    mlruns_dir: Path = Path("mlruns")
    tracking_uri: str | None = None
    threads: int | None = None
    reveal: bool = False
    timezone: str = field(default_factory=default_timezone)
    lock_wait_s: float = field(default_factory=lock_wait_from_env)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be >= 1, got {self.threads}")
        object.__setattr__(self, "timezone", check_timezone(self.timezone))
        check_lock_wait(self.lock_wait_s, option="lock_wait_s")
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
        """Defaults, then environment (FRAUDKIT_DB, MLFLOW_TRACKING_URI, FRAUDKIT_TIMEZONE,
        FRAUDKIT_LOCK_WAIT), then explicit overrides."""
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
