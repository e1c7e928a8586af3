"""The expressions that clean, type and check one raw text value of an input file, as DuckDB writes them.

:mod:`fraudkit.ingest.validate` decides which checks each kind of column has and what a reject says;
the functions here write them: a column's cleaned value is named ``r_<alias>`` and its parsed value
``n_<alias>`` (:func:`cleaned_name`, :func:`parsed_name`), and the checking SELECT of
:mod:`fraudkit.engine.sql.ingest` defines both. Arguments named ``expr``, ``r`` or ``n`` are
expressions made here; every value that comes from a user (formats, codes, defaults, bounds) arrives
as the ``$name`` of a bound parameter (:class:`Params`), never as text.
"""

from __future__ import annotations

from typing import Any

NULL = "NULL"
"""The missing value, where a column has neither a file column nor a default."""

AMOUNT_JUNK = r"[,\s¥￥元$]|RMB|CNY"  # thousands separators and currency marks around amounts
NUMBER_JUNK = r"[,\s]"  # thousands separators in a plain quantity (residents, GDP, an area)
REGION_CODE = "[0-9]{6}"  # an administrative division code (GB/T 2260): 440300, 440305
LARGEST_WHOLE = 9.2e18  # a BIGINT holds no more
EXCEL_SCIENTIFIC = r"[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+"
PARSE_DECIMAL = "DECIMAL(18,6)"  # int64-backed: 4x faster than wider decimals; up to 1e12

CHECK_FORMAT = "SELECT try_strptime('2000-01-01', $f)"
"""Parse a sample date with the strptime format ``$f``: DuckDB raises on a format it does not know."""
CHECK_ZONE = "SELECT timezone($z, TIMESTAMP '2000-01-01')"
"""Place a sample time in the zone ``$z``: DuckDB raises on a zone it does not know."""


class Params:
    """Collects named parameters; calling it with a value returns the ``$name`` to put in SQL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


def cleaned_name(alias: str) -> str:
    """The name of a column's cleaned text in the checking SELECT."""
    return f"r_{alias}"


def parsed_name(alias: str) -> str:
    """The name of a column's parsed value in the checking SELECT."""
    return f"n_{alias}"


def clean_text(expr: str) -> str:
    """Trim surrounding whitespace, testing cheaply first (most cells have none); '' -> NULL."""
    needs = f"contains({expr}, chr(32)) OR contains({expr}, chr(9)) OR contains({expr}, chr(12288))"
    trimmed = f"trim({expr}, chr(32) || chr(9) || chr(13) || chr(10) || chr(12288))"
    return f"nullif(CASE WHEN {needs} THEN {trimmed} ELSE {expr} END, '')"


def blank_as_null(expr: str) -> str:
    """'' as NULL, nothing trimmed: for text a cast reads anyway (casts skip surrounding space)."""
    return f"nullif({expr}, '')"


def coalesce(*exprs: str) -> str:
    """The first of ``exprs`` that is not NULL."""
    return f"coalesce({', '.join(exprs)})"


def value_map(expr: str, codes: dict[str, str], p: Params, *, lower_targets: bool) -> str:
    """Map codes (matched lowercased) onto canonical values; unmapped values pass through."""
    if not codes:
        return expr
    whens = " ".join(
        f"WHEN {p(code)} THEN {p(target.lower() if lower_targets else target)}" for code, target in codes.items()
    )
    return f"CASE lower({expr}) {whens} ELSE {expr} END"


def lower(expr: str) -> str:
    return f"lower({expr})"


def upper(expr: str) -> str:
    return f"upper({expr})"


def cast(expr: str, sql_type: str) -> str:
    """``expr`` as ``sql_type`` (a type of :mod:`fraudkit.schema`), NULL where it does not fit."""
    return f"try_cast({expr} AS {sql_type})"


# --- conditions (true: the row fails the check) ---------------------------------------------


def is_null(expr: str) -> str:
    return f"{expr} IS NULL"


def blank(r: str, n: str) -> str:
    """Nothing to parse: no value, or only white space (a parsed column's cleaned text is not trimmed)."""
    return f"{n} IS NULL AND ({r} IS NULL OR trim({r}) = '')"


def unparsed(r: str, n: str) -> str:
    """A value was given but could not be parsed."""
    return f"{r} IS NOT NULL AND {n} IS NULL"


def below(n: str, bound: str) -> str:
    """``bound``: a parameter or a number."""
    return f"{n} < {bound}"


def above(n: str, bound: str) -> str:
    """``bound``: a parameter or a number."""
    return f"{n} > {bound}"


def not_in(n: str, allowed: list[str]) -> str:
    """``allowed``: parameters."""
    return f"{n} NOT IN ({', '.join(allowed)})"


def scientific(n: str, p: Params) -> str:
    """An account number Excel turned into 6.22E+15 (its digits are lost)."""
    return f"contains({n}, '+') AND regexp_full_match({n}, {p(EXCEL_SCIENTIFIC)})"


# --- parsed values ----------------------------------------------------------------------------


def phone(r: str, pattern: str) -> str:
    """The number when it matches ``pattern`` (a parameter) as given, or once spaces, dashes,
    brackets, dots and a +86 / 0086 / + prefix are removed; else NULL."""
    stripped = f"regexp_replace({r}, '[\\s\\-().]', '', 'g')"
    normal = f"regexp_replace(regexp_replace({stripped}, '^(\\+86|0086)', ''), '^\\+', '')"
    return (
        f"CASE WHEN regexp_full_match({r}, {pattern}) THEN {r} "
        f"WHEN regexp_full_match({normal}, {pattern}) THEN {normal} END"
    )


def account(r: str) -> str:
    """The account number without the leading apostrophe Excel users type and without spaces."""
    return (
        f"CASE WHEN prefix({r}, '''') OR contains({r}, ' ') "
        f"THEN nullif(replace(ltrim({r}, ''''), ' ', ''), '') ELSE {r} END"
    )


def amount(r: str, p: Params, scale: Any) -> str:
    """The amount as a decimal, read as is or with separators and currency marks removed, times
    ``scale`` (the mapping's unit, bound) unless it is 1; NULL when it is not a number."""
    parsed = (
        f"coalesce(try_cast({r} AS {PARSE_DECIMAL}), "
        f"try_cast(regexp_replace({r}, {p(AMOUNT_JUNK)}, '', 'g') AS {PARSE_DECIMAL}))"
    )
    if scale != 1:
        parsed = f"try_cast({parsed} * CAST({p(scale)} AS DECIMAL(9,4)) AS {PARSE_DECIMAL})"
    return parsed


def whole_seconds(r: str) -> str:
    """A whole number of seconds ("60.0" from Excel is fine, "1.5" is not), else NULL."""
    seconds = f"try_cast({r} AS DECIMAL(18,3))"
    return f"CASE WHEN {seconds} = trunc({seconds}) THEN CAST({seconds} AS BIGINT) END"


def number(r: str, p: Params) -> str:
    """A finite number, read as is or with thousands separators removed, else NULL (NaN and
    infinity too: no quantity is either)."""
    parsed = f"coalesce(try_cast({r} AS DOUBLE), try_cast(regexp_replace({r}, {p(NUMBER_JUNK)}, '', 'g') AS DOUBLE))"
    return f"CASE WHEN isfinite({parsed}) THEN {parsed} END"


def fractional(n: str) -> str:
    """A number with a fractional part (a count cannot have one)."""
    return f"{n} <> trunc({n})"


def region_code(r: str, p: Params) -> str:
    """The code when it is six digits, else NULL."""
    return f"CASE WHEN regexp_full_match({r}, {p(REGION_CODE)}) THEN {r} END"


def kept_if_in(expr: str, allowed: list[str], otherwise: str) -> str:
    """``expr`` itself when it is one of ``allowed`` (parameters), else ``otherwise``: most values
    are already canonical, and the test is cheaper than what ``otherwise`` does."""
    return f"CASE WHEN {expr} IN ({', '.join(allowed)}) THEN {expr} ELSE {otherwise} END"


def yes_no(word: str, truthy: list[str], falsy: list[str]) -> str:
    """true or false when ``word`` is one of ``truthy`` or ``falsy`` (parameters), else NULL."""
    yes, no = ", ".join(truthy), ", ".join(falsy)
    return f"CASE WHEN {word} IN ({yes}) THEN true WHEN {word} IN ({no}) THEN false END"


def _has_offset(r: str) -> str:
    """Text that ends in a UTC offset or Z (ISO 8601). Single-character tests, because a regex on
    every timestamp costs more than parsing it."""
    negative = f"{r}[-6] = '-' OR {r}[-5] = '-' OR {r}[-3] = '-'"
    return f"length({r}) > 10 AND (contains({r}, '+') OR contains({r}, 'Z') OR contains({r}, 'z') OR {negative})"


def in_zone(naive: str, zone: str | None) -> str:
    """A time without an offset read as wall-clock time in ``zone`` (a bound parameter) and cast to
    the session's zone; as it is without a zone."""
    return naive if zone is None else f"CAST(timezone({zone}, {naive}) AS TIMESTAMP)"


def timestamp(
    r: str,
    raw: str | None,
    typed: bool,
    formats: tuple[str, ...],
    epochs: tuple[str, ...],
    p: Params,
    *,
    zone: str | None = None,
    typed_zoned: bool = False,
) -> str:
    """Parse with the mapping's formats first, ISO 8601 always as the fallback. Every TIMESTAMPTZ
    is cast to TIMESTAMP, which DuckDB does in the session's zone: the store's (see IngestSettings).

    ``zone`` (a bound parameter, or None for the session's) is the zone of times without an offset;
    ``typed_zoned``: the typed column is a TIMESTAMP WITH TIME ZONE, an instant already.

    ``formats`` are the mapping's formats in its order; those in ``epochs`` ("epoch" or "epoch_s":
    seconds, "epoch_ms": milliseconds since 1970) are Unix times, the others strptime patterns tried
    first."""
    if typed and raw is not None:
        return f"CAST({raw} AS TIMESTAMP)" if typed_zoned else in_zone(f"CAST({raw} AS TIMESTAMP)", zone)
    iso = (
        f"CASE WHEN {_has_offset(r)} THEN CAST(try_cast({r} AS TIMESTAMPTZ) AS TIMESTAMP) "
        f"ELSE {in_zone(f'try_cast({r} AS TIMESTAMP)', zone)} END"
    )
    parsers: list[str] = []
    patterns = [f for f in formats if f not in epochs]
    for fmt in formats:
        if fmt in epochs:
            per_second = 1_000 if fmt == "epoch_ms" else 1_000_000
            seconds = f"try_cast({r} AS DOUBLE)"
            limit = 1e11 * (1000 if fmt == "epoch_ms" else 1)
            parsers.append(
                f"CASE WHEN abs({seconds}) < {limit:.0f} "
                f"THEN CAST(make_timestamptz(CAST({seconds} * {per_second} AS BIGINT)) AS TIMESTAMP) END"
            )
    if patterns:  # a %z pattern gives TIMESTAMPTZ, an instant: no zone to apply
        parsed = f"CAST(try_strptime({r}, {p(patterns)}) AS TIMESTAMP)"
        parsers.insert(0, parsed if any("%z" in f for f in patterns) else in_zone(parsed, zone))
    return f"coalesce({', '.join([*parsers, iso])})" if parsers else iso


COUNT_LIMIT_S = 1e11
"""Counts after a base time reach at most this many seconds (3,000 years): past it, no timestamp."""


def time_count(r: str, unit_seconds: int, since: str, *, aware: bool, zone: str | None = None) -> str:
    """``since`` (a bound parameter) plus the number in ``r`` of units of ``unit_seconds``, or NULL
    when it is not a number (no ISO fallback: a count column holds counts). A base with an offset
    is an instant: the sum is taken there and cast to the session's zone, like every TIMESTAMPTZ; a
    naive one is wall-clock time in ``zone`` (a bound parameter; None: the session's)."""
    number = f"try_cast({r} AS DOUBLE)"
    micros = f"to_microseconds(CAST(round({number} * {unit_seconds * 1_000_000}) AS BIGINT))"
    base = f"CAST({since} AS TIMESTAMPTZ)" if aware else f"CAST({since} AS TIMESTAMP)"
    total = f"{base} + {micros}"
    total = f"CAST({total} AS TIMESTAMP)" if aware else in_zone(total, zone)
    return f"CASE WHEN abs({number}) * {unit_seconds} < {COUNT_LIMIT_S:.0f} THEN {total} END"


def negative_number(r: str) -> str:
    """A value that reads as a number below zero (a count after a base time cannot be)."""
    return f"try_cast({r} AS DOUBLE) < 0"
