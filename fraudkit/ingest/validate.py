"""Row validation: per canonical column, how to clean, type and check the raw text.

Everything runs inside the engine in one SELECT over the reader, so a 10M-row file is validated
at scan speed. Each column rule yields helper expressions (cleaned text, parsed value),
ordered checks (condition -> reason) and the final typed value; the first failing check
of a row becomes its single reject reason. This module decides which checks a column has and
what its reject says; :mod:`fraudkit.engine.sql.ingest_checks` writes the expressions. User text
(formats, value maps, defaults, bounds) is always bound as a named parameter through
:class:`~fraudkit.engine.sql.ingest_checks.Params`, never pasted in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from fraudkit.engine.sql import ingest_checks as sql
from fraudkit.engine.sql.ingest_checks import Params
from fraudkit.errors import ConfigError
from fraudkit.ingest.mapping import EPOCH_FORMATS, Mapping
from fraudkit.schema import Column

TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "真")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "假")
PARSED_ROLES = ("timestamp", "amount", "duration", "number")


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
    Plain numbers (residents, GDP, an area) are finite and >= 0, whole where the column is a count;
    region codes are six digits.
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
    value: str = sql.NULL


def column_sql(
    column: Column,
    alias: str,
    raw: str | None,
    *,
    typed_timestamp: bool,
    typed_zoned: bool = False,
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
    r, n = sql.cleaned_name(alias), sql.parsed_name(alias)
    name, role = column.name, column.role
    parsed = role in PARSED_ROLES  # casts skip surrounding space themselves: trim only if blank
    cleaned = raw
    if raw is not None and not typed_timestamp:
        cleaned = sql.blank_as_null(raw) if parsed else sql.clean_text(raw)
    if default is not None:
        cleaned = p(default) if cleaned is None else sql.coalesce(cleaned, p(default))
    out.cleaned = cleaned or sql.NULL
    missing = Check(sql.is_null(r), f"{name}: missing value")
    if parsed and not typed_timestamp:
        missing = Check(sql.blank(r, n), missing.reason)

    if role == "phone":
        lo, hi = settings.phone_min_digits, settings.phone_max_digits
        out.parsed = sql.phone(r, p(f"[0-9]{{{lo},{hi}}}"))
        out.checks.append(
            Check(
                sql.unparsed(r, n),
                f"{name}: malformed phone number (want {lo}-{hi} digits after removing spaces, dashes and +86)",
            )
        )
        out.value = n
    elif role == "account":
        out.parsed = sql.account(r)
        out.checks.append(
            Check(
                sql.scientific(n, p),
                f"{name}: account number in scientific notation (digits lost by Excel); export the column as text",
            )
        )
        missing = Check(sql.is_null(n), f"{name}: missing value")
        out.value = n
    elif role == "timestamp":
        formats = (mapping.timestamps.get(name) if mapping else None) or ()
        counted = mapping.time_counts.get(name) if mapping else None
        latest = now + settings.future_slack
        zoned = mapping is not None and mapping.timezone is not None
        if counted is not None and not typed_timestamp:
            aware = counted.since.tzinfo is not None
            zone = p(mapping.timezone) if zoned and not aware else None  # bound only where used
            out.parsed = sql.time_count(r, counted.seconds, p(counted.since), aware=aware, zone=zone)
            out.checks += [
                Check(sql.unparsed(r, n), f"{name}: not {counted.describe()} (or out of range)"),
                Check(sql.negative_number(r), f"{name}: negative ({counted.describe()} must be >= 0)"),
            ]
        else:
            zone = p(mapping.timezone) if zoned and not (typed_timestamp and typed_zoned) else None
            out.parsed = sql.timestamp(
                r, raw, typed_timestamp, formats, EPOCH_FORMATS, p, zone=zone, typed_zoned=typed_zoned
            )
            expected = " or ".join((*formats, "ISO 8601"))
            out.checks.append(Check(sql.unparsed(r, n), f"{name}: not a timestamp (expected {expected})"))
        out.checks += [
            Check(sql.below(n, p(settings.earliest)), f"{name}: before {settings.earliest:%Y-%m-%d}"),
            Check(sql.above(n, p(latest)), f"{name}: in the future (after {latest:%Y-%m-%d %H:%M})"),
        ]
        out.value = n
    elif role == "amount":
        out.parsed = sql.amount(r, p, mapping.amount_scale if mapping else Decimal(1))
        out.checks += [
            Check(sql.unparsed(r, n), f"{name}: not a number (or out of range)"),
            Check(sql.below(n, "0.005"), f"{name}: must be positive"),  # 0.00 once rounded to cents
            Check(sql.above(n, p(settings.max_amount)), f"{name}: absurdly large (> {settings.max_amount:,})"),
        ]
        out.value = sql.cast(n, column.sql_type)
    elif role == "duration":
        out.parsed = sql.whole_seconds(r)
        out.checks += [
            Check(sql.unparsed(r, n), f"{name}: not a whole number of seconds"),
            Check(sql.below(n, "0"), f"{name}: negative"),
            Check(sql.above(n, p(settings.max_duration_s)), f"{name}: longer than {settings.max_duration_s} s"),
        ]
        out.value = sql.cast(n, column.sql_type)
    elif role == "number":
        out.parsed = sql.number(r, p)
        out.checks += [
            Check(sql.unparsed(r, n), f"{name}: not a number"),
            Check(sql.below(n, "0"), f"{name}: negative"),
        ]
        if column.sql_type == "BIGINT":
            out.checks += [
                Check(sql.fractional(n), f"{name}: not a whole number"),
                Check(sql.above(n, str(sql.LARGEST_WHOLE)), f"{name}: too large (> {sql.LARGEST_WHOLE:.1e})"),
            ]
        out.value = sql.cast(n, column.sql_type)
    elif role == "region_code":
        out.parsed = sql.region_code(r, p)
        out.checks.append(Check(sql.unparsed(r, n), f"{name}: not a six-digit region code (such as 440300)"))
        out.value = n
    elif role == "enum":
        codes = mapping.values.get(name, {}) if mapping else {}
        allowed = [p(v) for v in column.allowed]
        out.parsed = sql.lower(sql.value_map(r, codes, p, lower_targets=True))
        if not codes and raw is not None:  # most values are already canonical: skip trim and lower
            out.cleaned = sql.kept_if_in(raw, allowed, out.cleaned)
            out.parsed = sql.kept_if_in(r, allowed, out.parsed)
        out.checks.append(
            Check(sql.not_in(n, allowed), f"{name}: unknown value (allowed: {', '.join(column.allowed)})")
        )
        out.value = n
    elif role == "bool":
        codes = mapping.values.get(name, {}) if mapping else {}
        word = sql.lower(sql.value_map(r, codes, p, lower_targets=True))
        truthy = [p(w) for w in TRUE_WORDS]
        falsy = [p(w) for w in FALSE_WORDS]
        out.parsed = sql.yes_no(word, truthy, falsy)
        out.checks.append(Check(sql.unparsed(r, n), f"{name}: not a yes/no value"))
        out.value = n
    elif role == "text":
        codes = mapping.values.get(name, {}) if mapping else {}
        text = sql.value_map(r, codes, p, lower_targets=False)
        out.value = sql.upper(text) if name == "currency" else text
    else:  # id
        out.value = r
    if column.required:
        out.checks.insert(0, missing)
    return out
