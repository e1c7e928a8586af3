"""Turn the world's index-based columns into the canonical tables and the truth tables.

This is the only place identifiers become strings and seconds become datetimes, and
it follows ``fraudkit.schema`` for column names, order and types.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from fraudkit.schema import ACCOUNT_TYPES, CHANNELS, TABLES, TXN_STATUSES, Table
from fraudkit.synth.calls import CallLog
from fraudkit.synth.clock import epoch_microseconds
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.counties import CODES
from fraudkit.synth.ids import account_numbers, imeis, mistype, phone_numbers
from fraudkit.synth.money import TxnBatch
from fraudkit.synth.rand import Rng
from fraudkit.synth.regions import REGION_ROWS
from fraudkit.synth.registry import BANKS, PLANS, REGION_CODES, REGIONS, Registry, cell_blocks
from fraudkit.synth.reports import Reports

POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "TIMESTAMP": pl.Datetime("us"),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "DECIMAL(18,2)": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
}


def polars_schema(table: Table) -> dict[str, pl.DataType]:
    """Column name -> Polars dtype of a canonical table, in schema order."""
    return {c.name: POLARS_TYPES[c.sql_type] for c in table.columns}


def gather(values: pl.Series, index: np.ndarray) -> pl.Series:
    """values[index] with null wherever index is negative."""
    index = np.asarray(index, dtype=np.int64)
    idx = pl.from_arrow(pa.array(np.maximum(index, 0), mask=index < 0))
    assert isinstance(idx, pl.Series)
    return values.gather(idx)


def labels(names: tuple[str, ...] | list[str], codes: np.ndarray) -> pl.Series:
    """Enum codes to their names."""
    return gather(pl.Series(list(names), dtype=pl.String), codes)


def sequential_ids(prefix: str, n: int, width: int) -> pl.Series:
    """prefix + zero-padded 1..n, e.g. C000000001 (ids follow time order)."""
    width = max(width, len(str(n)))
    return prefix + pl.Series(np.arange(1, n + 1, dtype=np.int64)).cast(pl.String).str.zfill(width)


def timestamps(cfg: SynthConfig, seconds: np.ndarray) -> pl.Series:
    return pl.Series(epoch_microseconds(cfg.start, seconds)).cast(pl.Datetime("us"))


def money(cents: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(cents, dtype=np.int64) / 100.0).round(2)


def int_strings(numbers: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(numbers, dtype=np.int64)).cast(pl.String)


@dataclass(frozen=True)
class Identifiers:
    """Strings of every entity, indexed like the registry."""

    phone_num: np.ndarray
    account_num: np.ndarray
    phone: pl.Series
    account: pl.Series
    holder: pl.Series
    imei: pl.Series
    cell: pl.Series


def draw_identifiers(reg: Registry, rng: Rng) -> Identifiers:
    """Random, unique phone numbers, card numbers, IMEIs and holder ids for all entities."""
    phone_num = phone_numbers(rng, reg.n_phones)
    account_num = account_numbers(rng, reg.accounts().bank.astype(np.int64))
    perm = rng.permutation(reg.n_holders)
    width = max(7, len(str(reg.n_holders)))
    holder = "H" + pl.Series(perm).cast(pl.String).str.zfill(width)
    cell_start, _ = cell_blocks(reg.cell_region, len(REGIONS))
    region = reg.cell_region.astype(np.int64)
    within = np.arange(len(region)) - cell_start[region]
    cell = labels(REGION_CODES, region) + pl.Series(within).cast(pl.String).str.zfill(5)
    return Identifiers(
        phone_num=phone_num,
        account_num=account_num,
        phone=int_strings(phone_num),
        account=int_strings(account_num),
        holder=holder,
        imei=int_strings(imeis(rng, reg.n_devices)),
        cell=cell,
    )


def _frame(name: str, columns: dict[str, pl.Series]) -> pl.DataFrame:
    schema = polars_schema(TABLES[name])
    return pl.DataFrame([columns[c].alias(c).cast(dtype) for c, dtype in schema.items()])


def calls_table(cfg: SynthConfig, log: CallLog, ids: Identifiers) -> pl.DataFrame:
    n = len(log)
    return _frame(
        "calls",
        {
            "call_id": sequential_ids("C", n, 9),
            "caller": gather(ids.phone, log.caller),
            "callee": gather(ids.phone, log.callee),
            "start_time": timestamps(cfg, log.t),
            "duration_s": pl.Series(log.duration),
            "kind": labels(("voice", "sms"), log.sms.astype(np.int64)),
            "caller_imei": gather(ids.imei, log.device),
            "cell_id": gather(ids.cell, log.cell),
            "roaming": pl.from_arrow(pa.array(log.roaming == 1, mask=log.roaming < 0)),  # type: ignore[dict-item]
        },
    )


def transactions_table(cfg: SynthConfig, txns: TxnBatch, ids: Identifiers) -> pl.DataFrame:
    n = len(txns)
    return _frame(
        "transactions",
        {
            "txn_id": sequential_ids("T", n, 9),
            "ts": timestamps(cfg, txns.t),
            "src_account": gather(ids.account, txns.src),
            "dst_account": gather(ids.account, txns.dst),
            "amount": money(txns.cents),
            "currency": labels(("CNY",), np.zeros(n, dtype=np.int64)),
            "channel": labels(CHANNELS, txns.channel.astype(np.int64)),
            "status": labels(TXN_STATUSES, txns.status.astype(np.int64)),
        },
    )


def accounts_table(cfg: SynthConfig, reg: Registry, ids: Identifiers, region: np.ndarray) -> pl.DataFrame:
    """Every account; ``region``: each one's index into :data:`fraudkit.synth.counties.CODES`."""
    acc = reg.accounts()
    df = _frame(
        "accounts",
        {
            "account_id": ids.account,
            "holder_id": gather(ids.holder, acc.holder),
            "phone": gather(ids.phone, acc.phone),
            "bank": labels(BANKS, acc.bank.astype(np.int64)),
            "opened_at": timestamps(cfg, acc.opened_s),
            "account_type": labels(ACCOUNT_TYPES, acc.kind.astype(np.int64)),
            "region": labels(CODES, region),
        },
    )
    return df.sort("account_id")


def subscribers_table(cfg: SynthConfig, reg: Registry, ids: Identifiers, region: np.ndarray) -> pl.DataFrame:
    """On-net SIMs only: off-net numbers appear in calls and accounts but are not ours. ``region``:
    each SIM's index into :data:`fraudkit.synth.counties.CODES`."""
    ph = reg.phones()
    onnet = np.flatnonzero(ph.onnet)
    df = _frame(
        "subscribers",
        {
            "phone": gather(ids.phone, onnet),
            "holder_id": gather(ids.holder, ph.holder[onnet]),
            "activated_at": timestamps(cfg, ph.activated_s[onnet]),
            "region": labels(CODES, region[onnet]),
            "plan": labels(PLANS, ph.plan[onnet].astype(np.int64)),
        },
    )
    return df.sort("phone")


def reports_table(cfg: SynthConfig, rep: Reports, ids: Identifiers, rng: Rng) -> pl.DataFrame:
    """Reports with their missing fields as nulls and their wrong digits applied."""
    n = len(rep.t)

    def field(numbers: np.ndarray, index: np.ndarray, typo: np.ndarray | None, digits: int, keep: int) -> pl.Series:
        value = numbers[np.maximum(index, 0)]
        if typo is not None:
            value = np.where(typo, mistype(rng, value, digits, keep), value)
        return gather(int_strings(value), np.where(index < 0, -1, np.arange(n)))

    return _frame(
        "reports",
        {
            "report_id": sequential_ids("R", n, 8),
            "reported_at": timestamps(cfg, rep.t),
            "victim_phone": field(ids.phone_num, rep.victim_phone, None, 11, 3),
            "victim_account": field(ids.account_num, rep.victim_account, rep.victim_account_typo, 19, 6),
            "fraud_phone": field(ids.phone_num, rep.fraud_phone, rep.fraud_phone_typo, 11, 3),
            "fraud_account": field(ids.account_num, rep.fraud_account, rep.fraud_account_typo, 19, 6),
            "loss_amount": gather(money(np.maximum(rep.loss_cents, 0)), np.where(rep.loss_cents < 0, -1, np.arange(n))),
        },
    )


def regions_table() -> pl.DataFrame:
    """The synthetic province, its cities and counties (:mod:`fraudkit.synth.regions`): the same in every world."""
    rows = REGION_ROWS
    return _frame(
        "regions",
        {
            "code": pl.Series([r.code for r in rows]),
            "name": pl.Series([r.name for r in rows]),
            "parent_code": pl.Series([r.parent_code for r in rows], dtype=pl.String),
            "level": pl.Series([r.level for r in rows]),
            "population": pl.Series([r.population for r in rows]),
            "gdp": pl.Series([r.gdp for r in rows]),
            "area_km2": pl.Series([r.area_km2 for r in rows]),
        },
    )
