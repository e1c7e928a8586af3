"""Exposure of personal data: the one module that decides how phones, account, ID and IMEI
numbers, and holder names appear in any output, log, error message or MLflow artifact.

The policy, in three forms:

- **masked** (what people read: terminal, HTML, XLSX, scan and trace files, error messages):
  one rule by length for every identifier wherever it appears, columns and free text alike, so
  masked files match (``138****5678``, ``6222***********0123``); numbers written with spaces or
  dashes in free text are masked too; holder names keep their first character (``张**``).
- **pseudonymous** (what must still join: feature files, MLflow artifacts): ``p:`` and 16 hex
  digits of an HMAC-SHA256 keyed by a secret kept in the store (table ``store_secret``), the
  same value giving the same token within one deployment, and no way back without the store.
- **revealed**: full values, only inside :func:`reveal`, which writes its ``audit_log`` row
  (operating-system account, claimed name, what, where) before anything is shown and marks
  it ``completed`` once the output is in place. Writers take the :class:`Reveal` it yields;
  ``reveal=True`` without one is refused, so the Python API cannot skip the audit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fraudkit.engine.sql import exposure as sql
from fraudkit.errors import ConfigError, NotReadyError

if TYPE_CHECKING:
    import duckdb
    import polars as pl

Role = Literal["phone", "account", "imei", "holder", "phones", "text", "id"]

ROLES: dict[str, Role] = {
    # phones
    "phone": "phone",
    "caller": "phone",
    "callee": "phone",
    "victim_phone": "phone",
    "fraud_phone": "phone",
    "suspect_number": "phone",
    "fraud_phones": "phones",  # comma-separated
    # accounts (clusters are named after one of their accounts)
    "account": "account",
    "account_id": "account",
    "src_account": "account",
    "dst_account": "account",
    "victim_account": "account",
    "fraud_account": "account",
    "parent_account": "account",
    "src": "account",
    "dst": "account",
    "origin": "account",
    "cluster": "account",
    "cluster_id": "account",
    # handsets
    "imei": "imei",
    "caller_imei": "imei",
    # people
    "holder": "holder",
    "holder_id": "holder",
    "holder_name": "holder",
    "name": "holder",
    # system ids: not personal data, and keys that must stay as they are
    "call_id": "id",
    "contact_id": "id",
    "txn_id": "id",
    "report_id": "id",
    "run_id": "id",
    "cluster_label": "id",  # already masked
}
"""Role of each column name fraudkit writes; a column not named here is free text."""

PSEUDONYM_PREFIX = "p:"
PSEUDONYM_HEX = 16
MAX_CLAIMED_NAME = 64

# A number in free text: an optional country code, then digit groups of three or more joined
# by single spaces or dashes (6222 6028 1190 7289 736, +86 191-6079-2209). Two-digit groups
# end a number, so dates (2026-10-31) and amounts are left alone.
_NUMBER = re.compile(r"(?<!\d)(\+\d{1,3}[ \-]|\+86)?(\d{3,}(?:[ \-]\d{3,})*)(?!\d)")
_MIN_DIGITS = 7

# ---- masking: one rule for every identifier ----------------------------------------------


def mask_id(value: str | None) -> str | None:
    """Mask an identifier by its length only, so that it masks the same way in every output:
    12 characters or more keep the first and last four (6222***********0123), 9 to 11 keep
    three and four (138****5678), 7 or 8 keep two and two, 5 or 6 one and one, shorter none."""
    if value is None:
        return None
    n = len(value)
    head, tail = (4, 4) if n >= 12 else (3, 4) if n >= 9 else (2, 2) if n >= 7 else (1, 1) if n >= 5 else (0, 0)
    return value[:head] + "*" * (n - head - tail) + value[n - tail :] if tail else "*" * n


mask_phone = mask_id
mask_account = mask_id


def mask_name(value: str | None) -> str | None:
    """A holder: an ID-like code masks as an identifier; a name keeps its first character (张**)."""
    if value is None:
        return None
    if value.isascii() and value.replace("-", "").isalnum():
        return mask_id(value)
    stripped = value.strip()
    return stripped[:1] + "*" * max(len(stripped) - 1, 1) if stripped else value


def mask_text(text: str | None) -> str | None:
    """Mask every number of seven or more digits in free text, unbroken or written with spaces
    or dashes, by the identifier rule on its digits (a country code is kept: +86 191****2209)."""
    if text is None:
        return None

    def one(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(2))
        if len(digits) < _MIN_DIGITS:
            return m.group(0)
        code = (m.group(1) or "").strip(" -")
        return (code + " " if code else "") + (mask_id(digits) or "")

    return _NUMBER.sub(one, text)


def role_of(column: str) -> Role:
    """The role of a column by its name (``ROLES``; ``*_name`` is a holder); anything else is text."""
    if column in ROLES:
        return ROLES[column]
    return "holder" if column.endswith("_name") else "text"


def is_pseudonym(value: str | None) -> bool:
    """A token made by :func:`pseudonym` (not personal data: shown as it is)."""
    return value is not None and len(value) == len(PSEUDONYM_PREFIX) + PSEUDONYM_HEX and value.startswith("p:")


def mask_as(value: str | None, role: Role) -> str | None:
    """One value masked as its role says."""
    if role == "id" or is_pseudonym(value):
        return value
    if role == "holder":
        return mask_name(value)
    if role in ("text", "phones"):
        return mask_text(value)
    return mask_id(value)


def mask_frame(frame: pl.DataFrame, roles: Mapping[str, Role] | None = None) -> pl.DataFrame:
    """Every text column masked by its role (``roles`` first, then the column's name): for
    files people read beside the terminal and HTML, which show the same masks."""
    import polars as pl

    chosen = dict(roles or {})
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(_mask_series(frame[name], chosen.get(name, role_of(name))) for name in text)


def _mask_series(series: pl.Series, role: Role) -> pl.Series:
    return series if role == "id" else _map_values(series, lambda v: mask_as(v, role))


# ---- pseudonyms: keyed, joinable, not reversible ------------------------------------------


def pseudonym(value: str | None, secret: bytes) -> str | None:
    """``p:`` and 16 hex digits of HMAC-SHA256(secret, value): the same value gives the same
    token within one store, and the token cannot be read back without the store's secret."""
    if value is None:
        return None
    digest = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


def pseudonymise_frame(frame: pl.DataFrame, secret: bytes, roles: Mapping[str, Role] | None = None) -> pl.DataFrame:
    """Identifier columns (phone, account, IMEI, holder) as pseudonyms and free text masked:
    for files whose rows must still join (features, MLflow artifacts)."""
    import polars as pl

    chosen = dict(roles or {})
    out = []
    for name, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        role = chosen.get(name, role_of(name))
        if role == "id":
            continue
        if role == "text":
            out.append(_map_values(frame[name], mask_text))
        elif role == "phones":
            out.append(_map_values(frame[name], lambda v: _pseudonym_list(v, secret)))
        else:
            out.append(pseudonym_series(frame[name], secret))
    return frame.with_columns(out)


def pseudonym_series(series: pl.Series, secret: bytes) -> pl.Series:
    """:func:`pseudonym` of every value of a column, computed by DuckDB in parallel: the same
    HMAC-SHA256 (key padded as RFC 2104 says) at about 4 s per million values instead of 13."""
    import duckdb

    key = (hashlib.sha256(secret).digest() if len(secret) > 64 else secret).ljust(64, b"\0")
    pads = {"inner": bytes(b ^ 0x36 for b in key), "outer": bytes(b ^ 0x5C for b in key)}
    query = sql.pseudonyms(PSEUDONYM_PREFIX, PSEUDONYM_HEX)
    con = duckdb.connect()
    try:
        con.register("pseudonym_input", series.to_frame("v"))
        return con.sql(query, params=pads).pl()["p"].alias(series.name)
    finally:
        con.close()


def _pseudonym_list(values: str, secret: bytes) -> str:
    """A comma-separated list (a cluster's fraud phones) with each value pseudonymised."""
    return ",".join(pseudonym(v, secret) or "" for v in values.split(",") if v)


def _map_values(series: pl.Series, fn: Any) -> pl.Series:
    """``fn`` applied once per distinct value (identifiers repeat a lot), nulls kept."""
    import polars as pl

    distinct = series.drop_nulls().unique()
    if distinct.is_empty():
        return series
    mapped = pl.Series([fn(v) for v in distinct.to_list()], dtype=pl.String)
    return series.replace_strict(distinct, mapped, default=None, return_dtype=pl.String).alias(series.name)


def read_store_secret(con: duckdb.DuckDBPyConnection) -> bytes | None:
    """The store's pseudonym key, or None when it has none yet (or predates it)."""
    try:
        rows = con.execute(sql.STORE_SECRET).fetchall()
    except Exception:  # no table: an old store opened read-only
        return None
    return bytes.fromhex(rows[0][0]) if rows else None


def store_secret(con: duckdb.DuckDBPyConnection) -> bytes:
    """The store's pseudonym key, made once (256 random bits from ``secrets``) on first use."""
    found = read_store_secret(con)
    if found is not None:
        return found
    try:
        con.execute(sql.AUDIT_DDL)
        con.execute(sql.NEW_STORE_SECRET, [secrets.token_hex(32), datetime.now()])
    except Exception as exc:  # read-only connection
        raise NotReadyError(
            "this store has no pseudonym key yet and is open read-only",
            hint="run a command that writes to the store once (e.g. `fraudkit scan`)",
        ) from exc
    made = read_store_secret(con)
    assert made is not None
    return made


def store_secret_at(db: str | Path) -> bytes:
    """The pseudonym key of the store file ``db``: read-only when it exists, written once if not
    (for commands that hold the store only briefly, such as ``train``)."""
    from fraudkit.store import open_store

    with open_store(db, read_only=True) as con:  # a missing store is refused here, not created
        found = read_store_secret(con)
    if found is not None:
        return found
    with open_store(db) as con:
        return store_secret(con)


# ---- who is revealing --------------------------------------------------------------------


def current_user() -> str:
    """The operating-system account running the process (from the uid, not USER or LOGNAME,
    which anyone can set)."""
    uid = os.getuid()
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):  # no passwd entry in some containers
        return f"uid {uid}"


def claimed_user() -> str | None:
    """The name given in FRAUDKIT_USER (a person behind a shared account), checked: not blank,
    no control characters, at most 64 characters. Recorded beside the real account, never instead."""
    name = os.environ.get("FRAUDKIT_USER")
    if name is None:
        return None
    if not name.strip():
        raise ConfigError("FRAUDKIT_USER is blank", hint="unset it or set it to your name")
    if any(ch < " " or ch == "\x7f" for ch in name):
        raise ConfigError("FRAUDKIT_USER holds a newline or control character", hint="set it to your name only")
    if len(name) > MAX_CLAIMED_NAME:
        raise ConfigError(f"FRAUDKIT_USER is longer than {MAX_CLAIMED_NAME} characters")
    return name.strip()


# ---- reveal: the audited path to full values ---------------------------------------------

_GRANT = object()


class Reveal:
    """Leave to show full values, made only by :func:`reveal` once its audit row is stored;
    it lapses when the ``with`` block ends."""

    def __init__(self, audit_id: str, *, _grant: object = None) -> None:
        if _grant is not _GRANT:
            raise ConfigError("full values are shown only through fraudkit.exposure.reveal(con, ...)")
        self.audit_id = audit_id
        self.open = True


RevealArg = Reveal | None


def revealed(grant: Reveal | bool | None) -> bool:
    """True when ``grant`` allows full values; ``reveal=True`` without an audited grant is refused."""
    if grant is None or grant is False:
        return False
    if isinstance(grant, Reveal) and grant.open:
        return True
    raise ConfigError(
        "a revealing export must be recorded: pass the grant of fraudkit.exposure.reveal(con, ...)",
        hint="with reveal(con, command=..., what=...) as grant: write_...(..., reveal=grant)",
    )


@contextmanager
def reveal(
    con: duckdb.DuckDBPyConnection,
    *,
    command: str,
    what: str,
    rows: int = 0,
    details: Mapping[str, Any] | None = None,
) -> Iterator[Reveal]:
    """Audit a reveal, then allow it: the ``audit_log`` row (operating-system account, claimed
    name, command, what, rows, details) is written first with ``completed`` false, and set
    true when the block ends without an error, so a crashed export is visible as such."""
    audit_id = _audit_row(con, command=command, what=what, rows=rows, details=details, completed=False)
    grant = Reveal(audit_id, _grant=_GRANT)
    try:
        yield grant
    finally:
        grant.open = False
    con.execute(sql.AUDIT_COMPLETED, [datetime.now(), audit_id])


def _audit_row(
    con: duckdb.DuckDBPyConnection,
    *,
    command: str,
    what: str,
    rows: int,
    details: Mapping[str, Any] | None,
    completed: bool,
) -> str:
    claimed = claimed_user()
    audit_id = uuid.uuid4().hex
    con.execute(sql.AUDIT_DDL)
    now = datetime.now()
    con.execute(
        sql.AUDIT_ROW,
        [
            now,
            current_user(),
            command,
            what,
            rows,
            json.dumps(dict(details or {}), ensure_ascii=False, default=str),
            audit_id,
            claimed,
            completed,
            now if completed else None,
        ],
    )
    return audit_id


@contextmanager
def reveal_if(
    con: duckdb.DuckDBPyConnection | None, wanted: bool, *, command: str, what: str, **audit: Any
) -> Iterator[Reveal | None]:
    """:func:`reveal` when ``wanted`` (a command's ``--reveal``), else nothing to grant: masked output."""
    if not wanted:
        yield None
        return
    if con is None:
        raise ConfigError("a revealing export must be recorded: pass the store connection")
    with reveal(con, command=command, what=what, **audit) as grant:
        yield grant
