"""The canonical tables: column names, types and keys are the contract of every stage.

``ingest`` maps user columns onto these; features, scan and models read only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from fraudkit.engine.sql.schema import create_table

ColumnRole = Literal[
    "id", "phone", "account", "timestamp", "amount", "duration", "number", "region_code", "enum", "text", "bool"
]
"""How ingest cleans and checks a column: ``number`` is a plain quantity >= 0 (whole when the
column is BIGINT), ``region_code`` a six-digit administrative division code."""
# Identifiers are near-unique strings: DuckDB's DICT_FSST compression of them costs about a
# quarter of a 10M-row load and saves no query time (they are hashed or joined, not scanned
# for patterns), so they are stored plain. The price is disk: about 2x (682 vs 332 MB per
# 10M transfers). Measured with benchmarks/bench_ingest.py.
UNCOMPRESSED_ROLES: tuple[ColumnRole, ...] = ("id", "phone", "account")


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    role: ColumnRole
    required: bool = False
    allowed: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    # When the source has no natural key column, the key is a hash of these columns' values.
    hash_key_from: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ddl(self) -> str:
        """The statement that makes this table when missing (identifiers stored uncompressed)."""
        return create_table(self.name, ((c.name, c.sql_type, c.role in UNCOMPRESSED_ROLES) for c in self.columns))


TIME_COLUMNS: dict[str, str] = {"transactions": "ts", "calls": "start_time", "reports": "reported_at"}
"""The event tables and the column a time span cuts them on (and a lake partitions them by day)."""

CALL_KINDS = ("voice", "sms")
CHANNELS = ("mobile", "online", "atm", "counter", "third_party")
TXN_STATUSES = ("success", "failed", "reversed", "pending")
SUCCESS = TXN_STATUSES[0]
"""The status of a transfer that moved money; a transfer without a status moved money too."""

OUTCOME_RESULTS = ("reached", "unreachable", "confirmed_victim", "false_alarm", "refused")
ACCOUNT_TYPES = ("personal", "business", "merchant", "payroll", "utility", "payment_platform")
REGION_LEVELS = ("province", "city", "county")


def successful(alias: str | None = None) -> str:
    """The SQL predicate "this transfer moved money" (status success, or none recorded), on the
    ``status`` column of ``alias`` (a table alias of the query, never user text) or unqualified.

    Failed, reversed and pending transfers moved nothing, so no stage counts them. The same rule
    on a Polars column is :func:`fraudkit.features.prepare.successful` (the CLI imports this module for
    its help, so it imports no Polars)."""
    if alias is not None and not alias.isidentifier():
        raise ValueError(f"not a table alias: {alias!r}")
    column = f"{alias}.status" if alias else "status"
    return f"coalesce({column}, '{SUCCESS}') = '{SUCCESS}'"


SUCCESSFUL = successful()
""":func:`successful` on an unqualified ``status`` column."""

CALLS = Table(
    "calls",
    (
        Column("call_id", "VARCHAR", "id", True, description="unique id of the call record"),
        Column("caller", "VARCHAR", "phone", True, description="calling number"),
        Column("callee", "VARCHAR", "phone", True, description="called number"),
        Column("start_time", "TIMESTAMP", "timestamp", True, description="when the call began"),
        Column("duration_s", "INTEGER", "duration", True, description="seconds; 0 for unanswered"),
        Column("kind", "VARCHAR", "enum", True, CALL_KINDS, "voice or sms"),
        Column("caller_imei", "VARCHAR", "text", description="handset of the caller"),
        Column("cell_id", "VARCHAR", "text", description="cell the caller used"),
        Column("roaming", "BOOLEAN", "bool", description="caller outside home region"),
    ),
    key=("call_id",),
    description="call-detail records from operators",
    hash_key_from=("caller", "callee", "start_time", "duration_s", "kind"),
)

TRANSACTIONS = Table(
    "transactions",
    (
        Column("txn_id", "VARCHAR", "id", True, description="unique id of the transfer"),
        Column("ts", "TIMESTAMP", "timestamp", True, description="when the money moved"),
        Column("src_account", "VARCHAR", "account", True, description="paying account"),
        Column("dst_account", "VARCHAR", "account", True, description="receiving account"),
        Column("amount", "DECIMAL(18,2)", "amount", True, description="amount, > 0"),
        Column("currency", "VARCHAR", "text", description="ISO code, CNY by default"),
        Column("channel", "VARCHAR", "enum", True, CHANNELS, "how the money moved"),
        Column("status", "VARCHAR", "enum", False, TXN_STATUSES, "success unless stated"),
    ),
    key=("txn_id",),
    description="transfers from banks and payment platforms",
    hash_key_from=("ts", "src_account", "dst_account", "amount", "channel"),
)

ACCOUNTS = Table(
    "accounts",
    (
        Column("account_id", "VARCHAR", "account", True, description="account number"),
        Column("holder_id", "VARCHAR", "id", True, description="person or company holding it"),
        Column("phone", "VARCHAR", "phone", description="phone registered with the bank"),
        Column("bank", "VARCHAR", "text", description="bank or platform"),
        Column("opened_at", "TIMESTAMP", "timestamp", description="when the account was opened"),
        Column("account_type", "VARCHAR", "enum", False, ACCOUNT_TYPES, "kind of account"),
        Column("region", "VARCHAR", "text", description="home region (a county's code in synthetic worlds)"),
    ),
    key=("account_id",),
    description="bank and payment accounts",
)

SUBSCRIBERS = Table(
    "subscribers",
    (
        Column("phone", "VARCHAR", "phone", True, description="the number"),
        Column("holder_id", "VARCHAR", "id", True, description="person or company holding it"),
        Column("activated_at", "TIMESTAMP", "timestamp", description="when the SIM was activated"),
        Column("region", "VARCHAR", "text", description="home region (a county's code in synthetic worlds)"),
        Column("plan", "VARCHAR", "text", description="tariff plan"),
    ),
    key=("phone",),
    description="mobile subscribers (SIMs)",
)

REPORTS = Table(
    "reports",
    (
        Column("report_id", "VARCHAR", "id", True, description="case number"),
        Column("reported_at", "TIMESTAMP", "timestamp", True, description="when it was reported"),
        Column("victim_phone", "VARCHAR", "phone", description="the victim's phone"),
        Column("victim_account", "VARCHAR", "account", description="the victim's paying account"),
        Column("fraud_phone", "VARCHAR", "phone", description="number the fraudster used"),
        Column("fraud_account", "VARCHAR", "account", description="account the victim paid"),
        Column("loss_amount", "DECIMAL(18,2)", "amount", description="money lost"),
    ),
    key=("report_id",),
    description="confirmed fraud cases reported by victims",
)

OUTCOMES = Table(
    "outcomes",
    (
        Column("phone", "VARCHAR", "phone", True, description="number called back"),
        Column("contacted_at", "TIMESTAMP", "timestamp", True, description="when"),
        Column("result", "VARCHAR", "enum", True, OUTCOME_RESULTS, "what came of it"),
        Column("note", "VARCHAR", "text", description="free text from the caller"),
    ),
    key=("phone", "contacted_at"),
    description="results of warning call-backs, fed back as labels",
)

REGIONS = Table(
    "regions",
    (
        Column("code", "VARCHAR", "region_code", True, description="six-digit administrative division code"),
        Column("name", "VARCHAR", "text", True, description="name of the region"),
        Column("parent_code", "VARCHAR", "region_code", description="code of the region it is in (none: province)"),
        Column("level", "VARCHAR", "enum", True, REGION_LEVELS, "province, city or county"),
        Column("population", "BIGINT", "number", description="resident population"),
        Column("gdp", "DOUBLE", "number", description="gross domestic product, yuan"),
        Column("area_km2", "DOUBLE", "number", description="land area, square kilometres"),
    ),
    key=("code",),
    description="administrative regions (reference data): what a per-resident rate divides by",
)

TABLES: dict[str, Table] = {t.name: t for t in (CALLS, TRANSACTIONS, ACCOUNTS, SUBSCRIBERS, REPORTS, OUTCOMES, REGIONS)}

KINDS = tuple(TABLES)
