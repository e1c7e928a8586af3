"""Row validation as SQL: per canonical column, how to clean, type and check the raw text.

Everything runs inside DuckDB in one SELECT over the reader, so a 10M-row file is validated
at scan speed. Each column rule yields helper expressions (cleaned text, parsed value),
ordered checks (condition -> reason) and the final typed value; the first failing check
of a row becomes its single reject reason. User text (formats, value maps, defaults,
bounds) is always bound as a named parameter through :class:`Params`, never pasted in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fraudkit.errors import ConfigError
from fraudkit.ingest.mapping import EPOCH_FORMATS, Mapping
from fraudkit.schema import Column

TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "真")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "假")
AMOUNT_JUNK = r"[,\s¥￥元$]|RMB|CNY"  # thousands separators and currency marks around amounts
EXCEL_SCIENTIFIC = r"[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+"
PARSE_DECIMAL = "DECIMAL(18,6)"  # int64-backed: 4x faster than wider decimals; up to 1e12
PARSED_ROLES = ("timestamp", "amount", "duration")


@dataclass(frozen=True)
class IngestSettings:
    """Bounds that decide when a value is absurd; defaults suit Chinese bank and CDR data.

    Timestamps must lie in [earliest, now + future_slack] (default 1990-01-01 .. now + 1 day):
    exports are of past events, and a day of slack absorbs clock and time-zone skew.
    Time zones: the store keeps naive wall-clock times in its zone, and ingest converts every
    input to it through the connection's TimeZone, which :func:`fraudkit.store.connect` sets to
    the store's zone (on a bare DuckDB connection: DuckDB's default, the machine's zone). Text
    with an offset (``2026-10-01T10:00:00+08:00``, ``...-05:00``, ``...Z``) and a Parquet
    TIMESTAMP WITH TIME ZONE column are converted to that zone; epoch seconds are instants and
    converted too; naive text, Parquet TIMESTAMP and DATE columns are taken as already in it.
    Amounts must be > 0 and <= max_amount (1e10) after the mapping's unit, and are rounded
    to cents; durations are whole seconds in [0, max_duration_s]; phones keep 5-15 digits.
    """

    earliest: datetime = datetime(1990, 1, 1)
    future_slack: timedelta = timedelta(days=1)
    max_amount: Decimal = Decimal("1e10")
    max_duration_s: int = 86_400
    phone_min_digits: int = 5
    phone_max_digits: int = 15
    chunk_bytes: int = 8 << 20
    temp_dir: str | None = None

    def __post_init__(self) -> None:
        if self.max_amount <= 0 or self.max_amount >= Decimal("1e12"):
            raise ConfigError(f"max_amount must be in (0, 1e12), got {self.max_amount}")
        if not 1 <= self.phone_min_digits <= self.phone_max_digits <= 30:
            raise ConfigError(
                f"phone digits must satisfy 1 <= min <= max <= 30, got {self.phone_min_digits}..{self.phone_max_digits}"
            )
        if self.max_duration_s < 0 or self.max_duration_s > 2**31 - 1:
            raise ConfigError(f"max_duration_s must be in [0, 2^31), got {self.max_duration_s}")
        if self.chunk_bytes < 4096:
            raise ConfigError(f"chunk_bytes must be >= 4096, got {self.chunk_bytes}")


class Params:
    """Collects named parameters; calling it with a value returns the ``$name`` to put in SQL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


@dataclass(frozen=True)
class Check:
    condition: str
    reason: str


@dataclass
class ColumnSql:
    """The SQL for one canonical column, in the order the stage query evaluates it.

    ``cleaned`` (alias r_<col>) sees only source columns; ``parsed`` (alias n_<col>) sees
    the cleaned values; ``checks`` and ``value`` see both. Separate SELECT levels keep
    DuckDB from re-evaluating an inlined expression at every reference.
    """

    cleaned: str | None = None
    parsed: str | None = None
    checks: list[Check] = field(default_factory=list)
    value: str = "NULL"


def clean_text(expr: str) -> str:
    """Trim surrounding whitespace, testing cheaply first (most cells have none); '' -> NULL."""
    needs = f"contains({expr}, chr(32)) OR contains({expr}, chr(9)) OR contains({expr}, chr(12288))"
    trimmed = f"trim({expr}, chr(32) || chr(9) || chr(13) || chr(10) || chr(12288))"
    return f"nullif(CASE WHEN {needs} THEN {trimmed} ELSE {expr} END, '')"


def value_map(expr: str, codes: dict[str, str], p: Params, *, lower_targets: bool) -> str:
    """Map codes (matched lowercased) onto canonical values; unmapped values pass through."""
    if not codes:
        return expr
    whens = " ".join(
        f"WHEN {p(code)} THEN {p(target.lower() if lower_targets else target)}" for code, target in codes.items()
    )
    return f"CASE lower({expr}) {whens} ELSE {expr} END"


def column_sql(
    column: Column,
    alias: str,
    raw: str | None,
    *,
    typed_timestamp: bool,
    default: str | None,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    p: Params,
) -> ColumnSql:
    """Build the rule for ``column``; ``raw`` is the source expression (None: not in file)."""
    out = ColumnSql()
    if raw is None and default is None:
        return out
    r, n = f"r_{alias}", f"n_{alias}"
    name, role = column.name, column.role
    parsed = role in PARSED_ROLES  # casts skip surrounding space themselves: trim only if blank
    cleaned = raw
    if raw is not None and not typed_timestamp:
        cleaned = f"nullif({raw}, '')" if parsed else clean_text(raw)
    if default is not None:
        cleaned = p(default) if cleaned is None else f"coalesce({cleaned}, {p(default)})"
    out.cleaned = cleaned or "NULL"
    missing = Check(f"{r} IS NULL", f"{name}: missing value")
    if parsed and not typed_timestamp:
        missing = Check(f"{n} IS NULL AND ({r} IS NULL OR trim({r}) = '')", missing.reason)

    if role == "phone":
        lo, hi = settings.phone_min_digits, settings.phone_max_digits
        pattern = p(f"[0-9]{{{lo},{hi}}}")
        stripped = f"regexp_replace({r}, '[\\s\\-().]', '', 'g')"
        normal = f"regexp_replace(regexp_replace({stripped}, '^(\\+86|0086)', ''), '^\\+', '')"
        out.parsed = (
            f"CASE WHEN regexp_full_match({r}, {pattern}) THEN {r} "
            f"WHEN regexp_full_match({normal}, {pattern}) THEN {normal} END"
        )
        out.checks.append(
            Check(
                f"{r} IS NOT NULL AND {n} IS NULL",
                f"{name}: malformed phone number (want {lo}-{hi} digits after removing spaces, dashes and +86)",
            )
        )
        out.value = n
    elif role == "account":
        out.parsed = (
            f"CASE WHEN prefix({r}, '''') OR contains({r}, ' ') "
            f"THEN nullif(replace(ltrim({r}, ''''), ' ', ''), '') ELSE {r} END"
        )
        out.checks.append(
            Check(
                f"contains({n}, '+') AND regexp_full_match({n}, {p(EXCEL_SCIENTIFIC)})",
                f"{name}: account number in scientific notation (digits lost by Excel); export the column as text",
            )
        )
        missing = Check(f"{n} IS NULL", f"{name}: missing value")
        out.value = n
    elif role == "timestamp":
        out.parsed = _timestamp(r, raw, typed_timestamp, mapping, name, p)
        formats = (mapping.timestamps.get(name) if mapping else None) or ()
        expected = " or ".join((*formats, "ISO 8601"))
        latest = now + settings.future_slack
        out.checks += [
            Check(f"{r} IS NOT NULL AND {n} IS NULL", f"{name}: not a timestamp (expected {expected})"),
            Check(f"{n} < {p(settings.earliest)}", f"{name}: before {settings.earliest:%Y-%m-%d}"),
            Check(f"{n} > {p(latest)}", f"{name}: in the future (after {latest:%Y-%m-%d %H:%M})"),
        ]
        out.value = n
    elif role == "amount":
        scale = mapping.amount_scale if mapping else Decimal(1)
        parsed = (
            f"coalesce(try_cast({r} AS {PARSE_DECIMAL}), "
            f"try_cast(regexp_replace({r}, {p(AMOUNT_JUNK)}, '', 'g') AS {PARSE_DECIMAL}))"
        )
        if scale != 1:
            parsed = f"try_cast({parsed} * CAST({p(scale)} AS DECIMAL(9,4)) AS {PARSE_DECIMAL})"
        out.parsed = parsed
        out.checks += [
            Check(f"{r} IS NOT NULL AND {n} IS NULL", f"{name}: not a number (or out of range)"),
            Check(f"{n} < 0.005", f"{name}: must be positive"),  # 0.00 once rounded to cents
            Check(f"{n} > {p(settings.max_amount)}", f"{name}: absurdly large (> {settings.max_amount:,})"),
        ]
        out.value = f"try_cast({n} AS {column.sql_type})"
    elif role == "duration":
        seconds = f"try_cast({r} AS DECIMAL(18,3))"  # "60.0" from Excel is fine, "1.5" is not
        out.parsed = f"CASE WHEN {seconds} = trunc({seconds}) THEN CAST({seconds} AS BIGINT) END"
        out.checks += [
            Check(f"{r} IS NOT NULL AND {n} IS NULL", f"{name}: not a whole number of seconds"),
            Check(f"{n} < 0", f"{name}: negative"),
            Check(f"{n} > {p(settings.max_duration_s)}", f"{name}: longer than {settings.max_duration_s} s"),
        ]
        out.value = f"try_cast({n} AS {column.sql_type})"
    elif role == "enum":
        codes = mapping.values.get(name, {}) if mapping else {}
        allowed = ", ".join(p(v) for v in column.allowed)
        out.parsed = f"lower({value_map(r, codes, p, lower_targets=True)})"
        if not codes and raw is not None:  # most values are already canonical: skip trim and lower
            out.cleaned = f"CASE WHEN {raw} IN ({allowed}) THEN {raw} ELSE {out.cleaned} END"
            out.parsed = f"CASE WHEN {r} IN ({allowed}) THEN {r} ELSE {out.parsed} END"
        out.checks.append(
            Check(f"{n} NOT IN ({allowed})", f"{name}: unknown value (allowed: {', '.join(column.allowed)})")
        )
        out.value = n
    elif role == "bool":
        codes = mapping.values.get(name, {}) if mapping else {}
        word = f"lower({value_map(r, codes, p, lower_targets=True)})"
        truthy = ", ".join(p(w) for w in TRUE_WORDS)
        falsy = ", ".join(p(w) for w in FALSE_WORDS)
        out.parsed = f"CASE WHEN {word} IN ({truthy}) THEN true WHEN {word} IN ({falsy}) THEN false END"
        out.checks.append(Check(f"{r} IS NOT NULL AND {n} IS NULL", f"{name}: not a yes/no value"))
        out.value = n
    elif role == "text":
        codes = mapping.values.get(name, {}) if mapping else {}
        text = value_map(r, codes, p, lower_targets=False)
        out.value = f"upper({text})" if name == "currency" else text
    else:  # id
        out.value = r
    if column.required:
        out.checks.insert(0, missing)
    return out


def _has_offset(r: str) -> str:
    """Text that ends in a UTC offset or Z (ISO 8601). Single-character tests, because a regex on
    every timestamp costs more than parsing it."""
    negative = f"{r}[-6] = '-' OR {r}[-5] = '-' OR {r}[-3] = '-'"
    return f"length({r}) > 10 AND (contains({r}, '+') OR contains({r}, 'Z') OR contains({r}, 'z') OR {negative})"


def _timestamp(r: str, raw: str | None, typed: bool, mapping: Mapping | None, name: str, p: Params) -> str:
    """Parse with the mapping's formats first, ISO 8601 always as the fallback. Every TIMESTAMPTZ
    is cast to TIMESTAMP, which DuckDB does in the session's zone: the store's (see IngestSettings)."""
    if typed and raw is not None:
        return f"CAST({raw} AS TIMESTAMP)"
    iso = (
        f"CASE WHEN {_has_offset(r)} THEN CAST(try_cast({r} AS TIMESTAMPTZ) AS TIMESTAMP) "
        f"ELSE try_cast({r} AS TIMESTAMP) END"
    )
    formats = (mapping.timestamps.get(name) if mapping else None) or ()
    parsers: list[str] = []
    patterns = [f for f in formats if f not in EPOCH_FORMATS]
    for fmt in formats:
        if fmt in EPOCH_FORMATS:
            per_second = 1_000_000 if fmt == "epoch" else 1_000
            seconds = f"try_cast({r} AS DOUBLE)"
            limit = 1e11 * (1 if fmt == "epoch" else 1000)
            parsers.append(
                f"CASE WHEN abs({seconds}) < {limit:.0f} "
                f"THEN CAST(make_timestamptz(CAST({seconds} * {per_second} AS BIGINT)) AS TIMESTAMP) END"
            )
    if patterns:  # a %z pattern gives TIMESTAMPTZ
        parsers.insert(0, f"CAST(try_strptime({r}, {p(patterns)}) AS TIMESTAMP)")
    return f"coalesce({', '.join([*parsers, iso])})" if parsers else iso
