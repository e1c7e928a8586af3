"""Mapping files: how a user's export (its headers, formats, codes) lands on the canonical tables.

A mapping is a small TOML file, so a new bank or operator export loads without code.
Every key is checked: a typo must fail loudly, not silently drop a column.

Format (all keys optional except what the export needs)::

    kind = "transactions"        # canonical table this export feeds; checked at ingest
    description = "..."          # free text for people
    encoding = "gb18030"         # "auto" (default: UTF-8 if valid, else GB18030), or any
                                 # Python codec: "utf-8", "utf-8-sig", "gbk", "utf-16", ...
    delimiter = ","              # one character, or "tab"; default: guessed from the header
    skip_rows = 0                # lines before the header row (report titles, account banners)
    amount_unit = "yuan"         # unit of amount columns: "yuan"/"unit" (1), "jiao" (0.1),
                                 # "fen"/"cent" (0.01), "wan" (10000)
    optional = ["status"]        # mapped columns some files lack (absent -> NULL); any other
                                 # mapped header missing from a file is an error
    timezone = "Asia/Shanghai"   # the zone of the file's times that have no offset (text
                                 # without one, Parquet TIMESTAMP/DATE, a count's naive base);
                                 # default: they are already in the store's zone. Times with
                                 # an offset and epoch times are instants either way.
    on_conflict = "reject"       # a row whose key was loaded before with other content:
                                 # "reject" (default: a reject naming the earlier FILE:LINE)
                                 # or "update" (the source sends corrections: the later row
                                 # replaces the stored one and is counted as an update).
                                 # Exact repeats are duplicates either way.

    [columns]                    # canonical column = header in the file
    ts = "交易时间"               # or a list of headers tried in order: ["交易时间", "交易日期"]
    src_account = "付款账号"       # a header the file repeats: the second is "NAME.1" (pandas')

    [timestamps]                 # canonical timestamp column = strptime format, or a list
    ts = "%Y-%m-%d %H:%M:%S"     # tried in order; "epoch" (or "epoch_s") / "epoch_ms" for
                                 # Unix seconds / milliseconds (instants: see Time zones).
                                 # ISO 8601 is always accepted as a fallback.
    # or a count of units after a base time (a simulation's "step", a day number):
    # ts = { unit = "days", since = "2022-09-01" }
                                 # unit: "days", "hours", "minutes" or "seconds"; the value
                                 # may have decimals ("1.5" days); since: a date or date-time
                                 # (TOML's own or a string), in `timezone` (else the
                                 # store's zone) unless it has an offset. No ISO fallback:
                                 # a value that is not a number >= 0 is a reject.

    [defaults]                   # value for a column the file lacks or leaves empty
    currency = "CNY"

    [values.channel]             # codes in the file -> canonical values, for enum, yes/no
    "手机银行" = "mobile"          # and text columns (matched trimmed, case-insensitively)

Without a mapping the file's headers must be the canonical names (case-insensitive,
surrounding space trimmed). Two canonical columns may not name the same header.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from fraudkit.engine.sql.ingest_checks import CHECK_FORMAT, CHECK_ZONE
from fraudkit.errors import ConfigError
from fraudkit.ingest.encoding import ENCODING_HINT, text_codec
from fraudkit.schema import TABLES, Table
from fraudkit.text import join_words, noun

AMOUNT_UNITS: dict[str, Decimal] = {
    "yuan": Decimal(1),
    "unit": Decimal(1),
    "jiao": Decimal("0.1"),
    "fen": Decimal("0.01"),
    "cent": Decimal("0.01"),
    "wan": Decimal(10000),
}
EPOCH_FORMATS = ("epoch", "epoch_s", "epoch_ms")
TIME_UNITS: dict[str, int] = {"days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}
"""Units of a count after a base time, in seconds."""
TIME_COUNT_KEYS = ("unit", "since")
DELIMITER_NAMES = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
TOP_LEVEL_KEYS = (
    "kind",
    "description",
    "encoding",
    "delimiter",
    "skip_rows",
    "amount_unit",
    "optional",
    "on_conflict",
    "timezone",
    "columns",
    "timestamps",
    "defaults",
    "values",
)
SECTIONS = ("columns", "timestamps", "defaults", "values", "optional")
VALUE_MAP_ROLES = ("enum", "bool", "text")
BOOL_VALUES = ("true", "false")
ON_CONFLICT = ("reject", "update")


@dataclass(frozen=True)
class TimeCount:
    """A timestamp given as a number of ``unit`` after ``since`` (``step = 3`` -> since + 3 days)."""

    unit: str
    since: datetime  # naive: in the store's zone; aware: an instant

    @property
    def seconds(self) -> int:
        """Length of one unit in seconds."""
        return TIME_UNITS[self.unit]

    def describe(self) -> str:
        """How a reject says what was expected: "a number of days after 2022-09-01"."""
        midnight = self.since.time() == time() and self.since.tzinfo is None
        base = f"{self.since:%Y-%m-%d}" if midnight else self.since.isoformat(sep=" ")
        return f"a number of {self.unit} after {base}"


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file; treat the dict fields as read-only."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timestamps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    time_counts: dict[str, TimeCount] = field(default_factory=dict)  # [timestamps] col = { unit, since }
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    optional: tuple[str, ...] = ()
    kind: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    skip_rows: int = 0
    amount_unit: str = "yuan"
    on_conflict: str = "reject"
    timezone: str | None = None  # the zone of the file's times without an offset (default: the store's)
    description: str = ""
    source: str = "<mapping>"

    def __post_init__(self) -> None:
        where = self.source
        if self.kind is not None and self.kind not in TABLES:
            raise ConfigError(f"{where}: unknown kind {self.kind!r}", hint=f"use one of {', '.join(TABLES)}")
        if self.encoding is not None and self.encoding != "auto" and text_codec(self.encoding) is None:
            raise ConfigError(f"{where}: unknown encoding {self.encoding!r}", hint=ENCODING_HINT)
        if self.on_conflict not in ON_CONFLICT:
            raise ConfigError(
                f"{where}: on_conflict must be one of {', '.join(ON_CONFLICT)}, got {self.on_conflict!r}",
                hint='"update" only for sources that send corrections under the same key',
            )
        self._refuse_shared_headers()
        if self.timezone is not None:
            _check_zone(where, self.timezone)
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in '\r\n"'):
            raise ConfigError(
                f"{where}: delimiter must be one character (not a quote or newline), got {self.delimiter!r}",
                hint='e.g. delimiter = "," or delimiter = "tab"',
            )
        if self.skip_rows < 0:
            raise ConfigError(f"{where}: skip_rows must be >= 0, got {self.skip_rows}")
        if self.amount_unit not in AMOUNT_UNITS:
            raise ConfigError(
                f"{where}: unknown amount_unit {self.amount_unit!r}",
                hint=f"use one of {', '.join(AMOUNT_UNITS)}",
            )
        for column, formats in self.timestamps.items():
            _check_formats(where, column, formats)
        for column in set(self.timestamps) & set(self.time_counts):
            raise ConfigError(f"{where}: [timestamps] {column} is given both formats and a count after a base time")
        if self.kind is not None:
            self.check_for(TABLES[self.kind])
        else:
            known = {c for t in TABLES.values() for c in t.column_names}
            for section in SECTIONS:
                unknown = sorted(set(self._section(section)) - known)
                if unknown:
                    names = ", ".join(map(repr, unknown))
                    raise ConfigError(
                        f"{where}: [{section}] names unknown canonical {noun(len(unknown), 'column')} {names}",
                        hint=_misplaced_hint(unknown) or "set kind = ... in the mapping to see that table's columns",
                    )

    def _refuse_shared_headers(self) -> None:
        """Two canonical columns mapped to one header would read the same values."""
        seen: dict[str, str] = {}
        for name, headers in self.columns.items():
            if len(headers) != 1:
                continue  # lists are tried in order: a clash shows once resolved against a file
            key = headers[0].strip().casefold()
            if key in seen:
                raise ConfigError(
                    f"{self.source}: [columns] {seen[key]} and {name} both map to {headers[0]!r}",
                    hint="map each canonical column to its own header",
                )
            seen[key] = name

    def _section(self, section: str) -> list[str]:
        """The canonical names a section of the file gives ([timestamps] holds formats and counts)."""
        names = list(getattr(self, section))
        return [*names, *self.time_counts] if section == "timestamps" else names

    @property
    def amount_scale(self) -> Decimal:
        return AMOUNT_UNITS[self.amount_unit]

    def check_for(self, table: Table) -> None:
        """Raise ConfigError unless every canonical name and setting fits ``table``."""
        where = self.source
        if self.kind is not None and self.kind != table.name:
            raise ConfigError(
                f"{where}: mapping is for {self.kind!r}, not {table.name!r}",
                hint=f"ingest it as {self.kind} or use another mapping",
            )
        names = table.column_names
        for section in SECTIONS:
            unknown = [c for c in self._section(section) if c not in names]
            if unknown:
                typed = ", ".join(map(repr, unknown))
                raise ConfigError(
                    f"{where}: [{section}] names unknown {table.name} {noun(len(unknown), 'column')} {typed}",
                    hint=_misplaced_hint(unknown) or f"{table.name} columns are {join_words(names, 'and')}",
                )
        for name in [*self.timestamps, *self.time_counts]:
            if table.column(name).role != "timestamp":
                raise ConfigError(f"{where}: [timestamps] {name!r} is not a timestamp column of {table.name}")
        for name, value_map in self.values.items():
            column = table.column(name)
            if column.role not in VALUE_MAP_ROLES:
                raise ConfigError(
                    f"{where}: [values.{name}] maps values of a {column.role} column",
                    hint="value maps apply to enum, yes/no and text columns",
                )
            if column.role == "text":
                continue
            allowed = column.allowed if column.role == "enum" else BOOL_VALUES
            bad = sorted({v for v in value_map.values() if v.lower() not in allowed})
            if bad:
                raise ConfigError(
                    f"{where}: [values.{name}] maps onto unknown {noun(len(bad), 'value')} {', '.join(map(repr, bad))}",
                    hint=f"{name} takes {join_words(allowed)}",
                )
        for name, value in self.defaults.items():
            column = table.column(name)
            if column.role == "enum":
                mapped = self.values.get(name, {}).get(value.strip().lower(), value.strip())
                if mapped.lower() not in column.allowed:
                    raise ConfigError(
                        f"{where}: [defaults] {name} = {value!r} is not a valid {name}",
                        hint=f"{name} takes {', '.join(column.allowed)}",
                    )


def with_encoding(mapping: Mapping | None, encoding: str) -> Mapping:
    """A copy of ``mapping`` (or of an empty one) that reads files as ``encoding``."""
    return dataclasses.replace(mapping if mapping is not None else Mapping(), encoding=encoding)


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file; a name like ``bank_cn`` finds a shipped example."""
    candidate = Path(path)
    if not candidate.is_file():
        name = candidate.stem if candidate.suffix in ("", ".toml") and candidate.parent == Path() else ""
        shipped = resources.files("fraudkit") / "mappings" / f"{name}.toml"
        if name and shipped.is_file():
            return parse_mapping(shipped.read_text(encoding="utf-8"), source=f"mappings/{name}.toml")
        raise ConfigError(
            f"mapping file {str(path)!r} not found",
            hint=f"give a path to a .toml file or one of: {', '.join(shipped_mappings())}",
        )
    try:
        text = candidate.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{candidate}: cannot read mapping file: {exc}", hint="save it as UTF-8") from exc
    return parse_mapping(text, source=str(candidate))


def shipped_mappings() -> list[str]:
    """Names of the example mappings shipped in ``fraudkit/mappings``."""
    folder = resources.files("fraudkit") / "mappings"
    if not folder.is_dir():
        return []
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def parse_mapping(text: str, *, source: str = "<mapping>") -> Mapping:
    """Parse mapping TOML text; every problem is a ConfigError naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    return mapping_from_dict(data, source=source)


def mapping_from_dict(data: dict[str, Any], *, source: str = "<mapping>") -> Mapping:
    """Build a Mapping from already-parsed TOML (or a dict written in code)."""
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown {noun(len(unknown), 'key')} {', '.join(map(repr, unknown))}",
            hint=f"known keys: {join_words(TOP_LEVEL_KEYS, 'and')}",
        )
    delimiter = _opt_str(data, "delimiter", source)
    if delimiter is not None:
        delimiter = DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    skip_rows = data.get("skip_rows", 0)
    if not isinstance(skip_rows, int) or isinstance(skip_rows, bool):
        raise ConfigError(f"{source}: skip_rows must be an integer, got {skip_rows!r}")
    return Mapping(
        columns={k: _str_list(v, f"[columns] {k}", source) for k, v in _table(data, "columns", source).items()},
        timestamps={
            k: _str_list(v, f"[timestamps] {k}", source)
            for k, v in _table(data, "timestamps", source).items()
            if not isinstance(v, dict)
        },
        time_counts={
            k: _time_count(v, k, source) for k, v in _table(data, "timestamps", source).items() if isinstance(v, dict)
        },
        defaults={k: _str(v, f"[defaults] {k}", source) for k, v in _table(data, "defaults", source).items()},
        optional=_str_list(data["optional"], "optional", source) if "optional" in data else (),
        values={
            k: {
                _str(code, f"[values.{k}] key", source).strip().lower(): _str(
                    target, f"[values.{k}] {code!r}", source
                ).strip()
                for code, target in _table(data["values"], k, source, prefix="values.").items()
            }
            for k in _table(data, "values", source)
        },
        kind=_opt_str(data, "kind", source),
        encoding=_opt_str(data, "encoding", source),
        delimiter=delimiter,
        skip_rows=skip_rows,
        amount_unit=(_opt_str(data, "amount_unit", source) or "yuan").lower(),
        on_conflict=(_opt_str(data, "on_conflict", source) or "reject").lower(),
        timezone=_opt_str(data, "timezone", source),
        description=_opt_str(data, "description", source) or "",
        source=source,
    )


def _misplaced_hint(unknown: list[str]) -> str | None:
    """A top-level key written below a [table] header lands in that table: say so."""
    misplaced = [k for k in unknown if k in TOP_LEVEL_KEYS]
    if not misplaced:
        return None
    return f"move {', '.join(misplaced)} above the first [table] header: TOML puts later keys in that table"


def _table(data: dict[str, Any], key: str, source: str, prefix: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{prefix}{key}] must be a table of key = value lines")
    return value


def _str(value: Any, what: str, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {what} must be a string, got {value!r}")
    return value


def _opt_str(data: dict[str, Any], key: str, source: str) -> str | None:
    return None if key not in data else _str(data[key], key, source)


def _str_list(value: Any, what: str, source: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise ConfigError(f"{source}: {what} must be a non-empty string or list of strings")
    return tuple(items)


def _time_count(value: dict[str, Any], column: str, source: str) -> TimeCount:
    """``{ unit = "days", since = "2022-09-01" }``: every problem names its key."""
    where = f"{source}: [timestamps] {column}"
    example = f'{column} = {{ unit = "days", since = "2022-09-01" }}'
    unknown = sorted(set(value) - set(TIME_COUNT_KEYS))
    if unknown:
        raise ConfigError(
            f"{where} has unknown {noun(len(unknown), 'key')} {', '.join(map(repr, unknown))}",
            hint=f"a count after a base time takes unit and since: {example}",
        )
    missing = [k for k in TIME_COUNT_KEYS if k not in value]
    if missing:
        raise ConfigError(f"{where} lacks {join_words(missing, 'and')}", hint=f"e.g. {example}")
    unit = value["unit"]
    if not isinstance(unit, str) or unit.lower() not in TIME_UNITS:
        raise ConfigError(f"{where}.unit = {unit!r} is not a unit of time", hint=f"use one of {join_words(TIME_UNITS)}")
    return TimeCount(unit.lower(), _base_time(value["since"], f"{where}.since"))


def _base_time(value: Any, where: str) -> datetime:
    """A TOML date or date-time, or a string holding one in ISO 8601."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(
        f"{where} = {value!r} is not a date or date-time",
        hint='e.g. since = "2022-09-01" or since = "2022-09-01T00:00:00+08:00"',
    )


def _check_zone(source: str, zone: str) -> None:
    """Refuse a zone DuckDB does not know, naming it and the zones it might have meant."""
    con = duckdb.connect()
    try:
        con.execute(CHECK_ZONE, {"z": zone})
    except duckdb.Error as exc:
        candidates = str(exc).split("Candidate time zones:")[-1].strip() if "Candidate" in str(exc) else ""
        raise ConfigError(
            f"{source}: timezone = {zone!r} is not a time zone",
            hint=f"an IANA name such as Asia/Shanghai or UTC{'; close: ' + candidates if candidates else ''}",
        ) from None
    finally:
        con.close()


def _check_formats(source: str, column: str, formats: tuple[str, ...]) -> None:
    """Reject format strings DuckDB's strptime would not understand, naming the bad one."""
    con = duckdb.connect()
    try:
        for fmt in formats:
            if fmt in EPOCH_FORMATS:
                continue
            if "%" not in fmt:
                raise ConfigError(
                    f"{source}: [timestamps] {column} = {fmt!r} is not a strptime format",
                    hint='e.g. "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "epoch" or "epoch_ms"',
                )
            try:
                con.execute(CHECK_FORMAT, {"f": fmt})
            except duckdb.Error as exc:
                raise ConfigError(f"{source}: [timestamps] {column} = {fmt!r}: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
