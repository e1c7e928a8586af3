"""The case file of a tracked ring: what a prosecutor's file needs, in one folder that proves itself.

A pack holds ``case.xlsx`` (one workbook, so the file cited is one document whose sheets refer to each
other: about, members, transfers, victims, reports, exits, snapshots, events, case), ``ring.html`` (an
offline page: the ring's money drawn per snapshot and over time, with the timeline) and
``manifest.json`` (every file's SHA-256 and size, the ring, when, from which store, whether revealed,
fraudkit's version), which :func:`verify_pack` checks again.

The ring tables hold pseudonyms only; the DuckDB store's accounts of the ring's span are pseudonymised
to find the full numbers, which the pack shows masked unless revealed through
:func:`fraudkit.exposure.reveal` (audited before any file is written). The pack is built in a hidden
folder beside ``out`` and renamed onto it: a crash leaves the previous pack or none, never half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from fraudkit import __version__
from fraudkit.atomic import temp_name, write_file
from fraudkit.cases.cases import Case, CaseError, _check_by, get_case
from fraudkit.engine.sql import cases as sql
from fraudkit.errors import ConfigError, FraudkitError
from fraudkit.exposure import Reveal, Role, mask_frame, pseudonym_series, revealed, store_secret
from fraudkit.features.params import FeatureParams
from fraudkit.ops.queue import writing
from fraudkit.ops.schema import case_events, ring_events, ring_flows, ring_members, ring_snapshots, rings
from fraudkit.scan.drawing import (
    DrawEdge,
    DrawNode,
    TimelineEvent,
    TimelineLane,
    flow_svg,
    html_table,
    page,
    timeline_svg,
)
from fraudkit.store import frame

if TYPE_CHECKING:
    from xlsxwriter.workbook import Workbook

c = pl.col

WORKBOOK, PAGE, MANIFEST = "case.xlsx", "ring.html", "manifest.json"
MAX_DRAWINGS = 6
"""Snapshots drawn on the page at most: the first, the last and evenly between (every one is a sheet row)."""
MAX_SHEET_ROWS = 1_048_575
"""Rows an XLSX sheet holds under its header."""
ROLES: dict[str, Role] = {"counterparty": "account", "by": "text", "note": "text"}
"""Roles of the pack's own column names that ``fraudkit.exposure.ROLES`` does not know."""
RATIOS = frozenset({"score", "overlap"})
"""Number columns that are not money (shown as they are, not with two decimals)."""
Check = Literal["ok", "changed", "missing", "extra"]


class PackError(FraudkitError):
    """A case pack that cannot be written or does not verify."""


@dataclass(frozen=True)
class CaseFile:
    """Everything a ring's pack shows, with full account numbers (masked only when written)."""

    ring: dict[str, Any]
    start: datetime  # the span: the first scan's window start ...
    end: datetime  # ... to the last scan's as-of time (not included)
    snapshots: pl.DataFrame
    events: pl.DataFrame
    members: pl.DataFrame  # one row per account ever a member
    snapshot_members: pl.DataFrame  # ring_members as kept, pseudonyms
    flows: pl.DataFrame  # ring_flows as kept, pseudonyms
    transfers: pl.DataFrame
    victims: pl.DataFrame
    reports: pl.DataFrame
    exits: pl.DataFrame
    case: Case | None
    full: dict[str, str]  # pseudonym -> full account number, for the accounts of the span
    unmatched: int  # members whose account no transfer of the span holds (their transfers are not in the pack)

    @property
    def ring_id(self) -> str:
        return str(self.ring["ring_id"])


@dataclass(frozen=True)
class CasePack:
    """A written pack: where, what it holds, and whether it shows full numbers."""

    folder: Path
    ring_id: str
    case_id: str | None
    members: int
    transfers: int
    revealed: bool
    files: tuple[str, ...]


@dataclass(frozen=True)
class FileCheck:
    """One file of a pack as :func:`verify_pack` found it."""

    name: str
    status: Check


def export_case(
    engine: Engine,
    con: duckdb.DuckDBPyConnection,
    ring_id: str,
    out: str | Path,
    *,
    store: str | Path,
    by: str,
    reveal: Reveal | None = None,
    now: datetime | None = None,
) -> CasePack:
    """Read a ring's case file, write its pack to ``out`` and record the export in its case's history."""
    case_file = read_case(engine, con, ring_id)
    pack = write_pack(case_file, out, store=store, by=by, reveal=reveal, now=now)
    record_export(engine, case_file, pack, by=by, now=now)
    return pack


def read_case(engine: Engine, con: duckdb.DuckDBPyConnection, ring_id: str) -> CaseFile:
    """A ring's history from the operational store and its transfers, accounts and reports from the
    DuckDB store (``con``), members matched back by pseudonymising the accounts of the ring's span."""
    with engine.connect() as conn:
        ring = conn.execute(select(rings).where(rings.c.ring_id == ring_id)).mappings().first()
        if ring is None:
            raise ConfigError(f"no ring {ring_id!r}", hint="`fraudkit rings` lists the known rings")
        snapshots = _rows(conn, select(ring_snapshots).where(ring_snapshots.c.ring_id == ring_id), ring_snapshots)
        held = _rows(conn, select(ring_members).where(ring_members.c.ring_id == ring_id), ring_members)
        flows = _rows(conn, select(ring_flows).where(ring_flows.c.ring_id == ring_id), ring_flows)
        events = _rows(
            conn,
            select(ring_events).where(ring_events.c.ring_id == ring_id).order_by(ring_events.c.event_id),
            ring_events,
        )
    snapshots = snapshots.sort("as_of")
    if snapshots.is_empty():
        raise PackError(f"ring {ring_id} has no snapshot", hint="run `fraudkit scan` to track rings")
    start = min(a - timedelta(hours=h) for a, h in snapshots.select("as_of", "window_hours").iter_rows())
    end = snapshots["as_of"].max()
    assert isinstance(end, datetime)
    span = {"start": start, "end": end}
    candidates = frame(con, sql.SPAN_ACCOUNTS, span, table="transactions")["account"]
    pseudonyms = pseudonym_series(candidates, store_secret(con))
    wanted = set(held["account"].to_list()) | set(flows["src"].drop_nulls()) | set(flows["dst"].drop_nulls())
    wanted |= set(events["account"].drop_nulls())
    full = {p: a for p, a in zip(pseudonyms.to_list(), candidates.to_list(), strict=True) if p in wanted}
    member_ids = sorted({full[p] for p in held["account"].unique().to_list() if p in full})
    transfers = _kinds(frame(con, sql.RING_TRANSFERS, span | {"members": member_ids}, table="transactions"), member_ids)
    members = _members(held, snapshots, transfers, full, con)
    victims = _victims(transfers)
    reports = frame(
        con, sql.RING_REPORTS, {"victims": victims["account"].to_list(), "members": member_ids}, table="reports"
    )
    if not victims.is_empty():
        reported = reports.group_by(c("victim_account").alias("account")).agg(
            pl.len().alias("reports"), c("loss_amount").sum().alias("loss_reported")
        )
        victims = victims.join(reported, on="account", how="left").with_columns(c("reports").fill_null(0))
    try:
        case = get_case(engine, ring_id)
    except CaseError:
        case = None
    return CaseFile(
        ring=dict(ring),
        start=start,
        end=end,
        snapshots=snapshots,
        events=events,
        members=members,
        snapshot_members=held,
        flows=flows,
        transfers=transfers,
        victims=victims,
        reports=reports,
        exits=_exits(transfers),
        case=case,
        full=full,
        unmatched=held["account"].n_unique() - len(member_ids),
    )


def write_pack(
    case_file: CaseFile,
    out: str | Path,
    *,
    store: str | Path,
    by: str,
    reveal: Reveal | None = None,
    now: datetime | None = None,
) -> CasePack:
    """Write the pack (workbook, page, manifest) to the folder ``out``, masked unless ``reveal`` is an
    open grant of :func:`fraudkit.exposure.reveal`; a previous pack there is replaced whole."""
    folder = Path(out)
    check_out(folder)
    _check_by(by)
    show = revealed(reveal)
    when = (now or datetime.now()).replace(microsecond=0)
    if case_file.transfers.height > MAX_SHEET_ROWS:
        raise PackError(
            f"ring {case_file.ring_id} has {case_file.transfers.height:,} transfers, more than a sheet holds"
        )
    sheets = _sheets(case_file, show)
    facts = _facts(case_file, show, when, by, store)
    files = {WORKBOOK: _workbook(facts, sheets), PAGE: _page(case_file, show, facts, sheets).encode("utf-8")}
    manifest = {
        "ring_id": case_file.ring_id,
        "case_id": case_file.case.case_id if case_file.case else None,
        "exported_at": when.isoformat(),
        "exported_by": by,
        "store": str(Path(store).resolve()),
        "revealed": show,
        "audit_id": reveal.audit_id if show and reveal is not None else None,
        "fraudkit_version": __version__,
        "span": {"start": case_file.start.isoformat(), "end": case_file.end.isoformat()},
        "files": [{"name": n, "sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)} for n, b in files.items()],
    }
    files[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    _publish(folder, files)
    return CasePack(
        folder=folder,
        ring_id=case_file.ring_id,
        case_id=manifest["case_id"],
        members=case_file.members.height,
        transfers=case_file.transfers.height,
        revealed=show,
        files=tuple(files),
    )


def record_export(engine: Engine, case_file: CaseFile, pack: CasePack, *, by: str, now: datetime | None = None) -> None:
    """An ``export`` event in the ring's case history (none without a case); the case's status stays."""
    if case_file.case is None:
        return
    how = "revealed, recorded in the audit log" if pack.revealed else "masked"
    note = f"case file exported to {pack.folder} ({how}; {pack.members} members, {pack.transfers} transfers)"
    event = insert(case_events).values(
        case_id=case_file.case.case_id,
        at=(now or datetime.now()).replace(microsecond=0),
        by=by,
        action="export",
        status=case_file.case.status,
        note=note,
    )
    with writing(engine) as conn:
        conn.execute(event)


def verify_pack(folder: str | Path) -> list[FileCheck]:
    """Each file of the manifest ok, changed (size or SHA-256 differs) or missing, then every file
    the manifest does not name as extra; a folder without a readable manifest is refused."""
    where = Path(folder)
    listed = {f["name"]: (f["sha256"], f["bytes"]) for f in read_manifest(where)["files"]}
    checks = []
    for name, (digest, size) in listed.items():
        path = where / name
        if Path(name).name != name or name == MANIFEST:
            raise PackError(f"{where / MANIFEST} names {name!r}, not a file of the pack")
        if not path.is_file():
            checks.append(FileCheck(name, "missing"))
        elif path.stat().st_size != size or _sha256(path) != digest:
            checks.append(FileCheck(name, "changed"))
        else:
            checks.append(FileCheck(name, "ok"))
    present = sorted(p.name for p in where.iterdir() if p.name not in listed and p.name != MANIFEST)
    return checks + [FileCheck(name, "extra") for name in present]


def read_manifest(folder: Path) -> dict[str, Any]:
    """A pack's manifest; a folder without one, or with one that is not a pack's, is refused."""
    if not folder.is_dir():
        raise PackError(f"{folder} is not a folder", hint="give the folder `fraudkit case export --out` wrote")
    try:
        manifest = dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
        manifest["files"] = [
            {"name": str(f["name"]), "sha256": str(f["sha256"]), "bytes": int(f["bytes"])} for f in manifest["files"]
        ]
    except FileNotFoundError:
        raise PackError(f"no {MANIFEST} in {folder}: not a case pack") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PackError(f"{folder / MANIFEST} is not a case pack's manifest ({type(exc).__name__})") from None
    return manifest


# ---- reading ------------------------------------------------------------------------------------


def _rows(conn: Any, query: Any, table: Any) -> pl.DataFrame:
    """A query of one ring table as a frame with the table's columns (typed even when empty)."""
    types = {"INTEGER": pl.Int64, "FLOAT": pl.Float64, "DATETIME": pl.Datetime("us")}
    schema = {col.name: types.get(str(col.type), pl.String) for col in table.columns}
    return pl.DataFrame([tuple(r) for r in conn.execute(query).all()], schema=schema, orient="row")


def _members(
    held: pl.DataFrame,
    snapshots: pl.DataFrame,
    transfers: pl.DataFrame,
    full: dict[str, str],
    con: duckdb.DuckDBPyConnection,
) -> pl.DataFrame:
    """One row per account ever a member: when first and last seen in the ring (scan as-of times), in
    how many snapshots, its role in the latest, money in and out over the span, the bank's record."""
    seen = held.join(snapshots.select("run_id", "as_of"), on="run_id").sort("as_of")
    latest = snapshots["run_id"][-1]
    per = seen.group_by("account").agg(
        c("label").last(),
        c("role").drop_nulls().last().alias("role"),
        c("role").drop_nulls().unique().sort().str.join(", ").alias("roles"),
        c("as_of").min().alias("first_seen"),
        c("as_of").max().alias("last_seen"),
        pl.len().alias("snapshots"),
        (c("run_id") == latest).any().alias("member_now"),
    )
    ids = pl.DataFrame({"pseudonym": list(full), "account_id": list(full.values())}, schema=_ALIAS)
    per = per.join(ids, left_on="account", right_on="pseudonym", how="left")
    moved = transfers.filter(c("moved"))
    money = (
        pl.concat(
            [
                moved.select(
                    c("dst_account").alias("account_id"), c("amount").alias("money_in"), pl.lit(0.0).alias("money_out")
                ),
                moved.select(
                    c("src_account").alias("account_id"), pl.lit(0.0).alias("money_in"), c("amount").alias("money_out")
                ),
            ]
        )
        .group_by("account_id")
        .agg(c("money_in").sum(), c("money_out").sum())
    )
    details = frame(con, sql.ACCOUNT_DETAILS, {"accounts": per["account_id"].drop_nulls().to_list()}, table="accounts")
    out = (
        per.join(money, on="account_id", how="left")
        .join(details, on="account_id", how="left")
        .with_columns(c("money_in").fill_null(0.0), c("money_out").fill_null(0.0))
    )
    return out.sort(["member_now", "money_in", "label"], descending=[True, True, False]).select(
        c("account_id").fill_null(c("label")).alias("account"),
        "role",
        "roles",
        "first_seen",
        "last_seen",
        "snapshots",
        "member_now",
        "money_in",
        "money_out",
        "holder_id",
        "phone",
        "bank",
        "account_type",
        "opened_at",
        "region",
    )


_ALIAS = {"pseudonym": pl.String, "account_id": pl.String}


def _kinds(transfers: pl.DataFrame, members: list[str]) -> pl.DataFrame:
    """Each transfer's kind for the ring: entry from outside, internal between members, exit to outside."""
    src_in, dst_in = c("src_account").is_in(members), c("dst_account").is_in(members)
    kind = (
        pl.when(src_in & dst_in).then(pl.lit("internal")).when(dst_in).then(pl.lit("entry")).otherwise(pl.lit("exit"))
    )
    return transfers.with_columns(kind.alias("kind"))


def _victims(transfers: pl.DataFrame) -> pl.DataFrame:
    """Accounts that paid into the ring from outside: how much, how often, first and last payment."""
    entries = transfers.filter((c("kind") == "entry") & c("moved"))
    return (
        entries.group_by(c("src_account").alias("account"))
        .agg(
            c("amount").sum().alias("paid"),
            pl.len().alias("transfers"),
            c("ts").min().alias("first_paid"),
            c("ts").max().alias("last_paid"),
            c("dst_account").n_unique().alias("members_paid"),
        )
        .sort(["paid", "account"], descending=[True, False])
    )


def _exits(transfers: pl.DataFrame) -> pl.DataFrame:
    """Where money left the ring, per receiving account and channel; cash-out channels (ATM, third
    party: ``FeatureParams.cash_out_channels``) first."""
    cash = FeatureParams().cash_out_channels
    leaving = transfers.filter((c("kind") == "exit") & c("moved"))
    return (
        leaving.group_by(c("dst_account").alias("counterparty"), "channel")
        .agg(
            c("amount").sum().alias("amount"),
            pl.len().alias("transfers"),
            c("src_account").n_unique().alias("members_paying"),
            c("ts").min().alias("first"),
            c("ts").max().alias("last"),
        )
        .with_columns(c("channel").is_in(list(cash)).alias("cash_out"))
        .sort(["cash_out", "amount", "counterparty"], descending=[True, True, False])
    )


# ---- what the pack shows ------------------------------------------------------------------------


def _shown(frame_: pl.DataFrame, show: bool) -> pl.DataFrame:
    """A sheet as written: full values when revealed, else every identifier masked by its role."""
    return frame_ if show else mask_frame(frame_, ROLES)


def _account_of(case_file: CaseFile, pseudonyms: pl.Series, labels: pl.Series) -> pl.Series:
    """Full account numbers for pseudonyms of the ring tables (the stored masked label when the span
    holds no transfer of it): masked again by :func:`_shown` unless revealed."""
    full = pl.Series([case_file.full.get(p) if p else None for p in pseudonyms.to_list()], dtype=pl.String)
    return full.fill_null(labels).alias("account")


def _sheets(case_file: CaseFile, show: bool) -> list[tuple[str, pl.DataFrame]]:
    """The workbook's sheets after "about", in the order an investigator reads them."""
    events = case_file.events
    sheets = [
        ("members", case_file.members),
        (
            "transfers",
            case_file.transfers.select(
                "txn_id", "ts", "kind", "src_account", "dst_account", "amount", "currency", "channel", "status"
            ),
        ),
        ("victims", case_file.victims),
        ("reports", case_file.reports),
        ("exits", case_file.exits),
        (
            "snapshots",
            case_file.snapshots.select(
                "as_of",
                "run_id",
                "cluster_label",
                "window_hours",
                "size",
                "money_in",
                "cash_out",
                "new_money_in",
                "new_cash_out",
                "victims",
                "score",
                "typology",
                "overlap",
            ),
        ),
        (
            "events",
            events.select(
                "as_of",
                "kind",
                _account_of(case_file, events["account"], events["label"]),
                "other_ring",
                "detail",
                "run_id",
            ),
        ),
    ]
    if case_file.case is not None:
        history = pl.DataFrame(
            [(e.at, e.by, e.action, e.status, e.note) for e in case_file.case.events],
            schema={
                "at": pl.Datetime("us"),
                "by": pl.String,
                "action": pl.String,
                "status": pl.String,
                "note": pl.String,
            },
            orient="row",
        )
        sheets.append(("case", history))
    return [(name, _shown(sheet, show)) for name, sheet in sheets]


def _facts(case_file: CaseFile, show: bool, when: datetime, by: str, store: str | Path) -> list[tuple[str, object]]:
    """The "about" sheet and the page's summary: the ring, its case, the span, and how it was exported."""
    r, case = case_file.ring, case_file.case
    shown = "in full: revealed, recorded in the store's audit log" if show else "masked (export with --reveal to show)"
    facts: list[tuple[str, object]] = [
        ("ring", case_file.ring_id),
        ("status", r["status"] + (f", merged into {r['merged_into']}" if r["merged_into"] else "")),
        ("split from", r["split_from"] or ""),
        ("typology (latest scan)", r["typology"] or ""),
        ("first seen", r["first_seen"]),
        ("last seen", r["last_seen"]),
        ("transfers from", case_file.start),
        ("transfers until (not included)", case_file.end),
        ("members ever", case_file.members.height),
        ("members now", int(case_file.members["member_now"].sum())),
        ("transfers touching members", case_file.transfers.height),
        ("money in from outside", float(case_file.victims["paid"].sum()) if case_file.victims.height else 0.0),
        ("money out of the ring", float(case_file.exits["amount"].sum()) if case_file.exits.height else 0.0),
        ("accounts paying in (victims)", case_file.victims.height),
        ("reports", case_file.reports.height),
        ("scans that saw it", case_file.snapshots.height),
        (
            "case",
            f"{case.case_id}: {case.status}, opened {case.opened_at:%Y-%m-%d %H:%M} by {case.opened_by}"
            if case
            else "none",
        ),
        ("exported at", when),
        ("exported by", by),
        ("store", str(Path(store).resolve())),
        ("accounts, phones, holders", shown),
        ("fraudkit version", __version__),
    ]
    if case_file.unmatched:
        facts.append(("members not found in the store", f"{case_file.unmatched} (their transfers are not listed)"))
    return facts


def check_out(folder: Path) -> None:
    """Refuse, before anything is written, an ``out`` that is a file, lies in a missing folder, or is a
    folder holding other things than a case pack (replacing it would delete them)."""
    if not folder.parent.is_dir():
        raise ConfigError(f"--out {folder}: folder {folder.parent} does not exist", hint="create it first")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder} is a file, not a folder", hint="name a new folder, e.g. --out case-R000001")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST).is_file():
        raise ConfigError(
            f"--out {folder} holds files and no {MANIFEST}: not a case pack to replace",
            hint="name a new folder, e.g. --out case-R000001",
        )


def _publish(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into a hidden folder beside ``folder``, then put it in the place of the previous
    pack (moved aside first, put back if the swap fails, removed after)."""
    stage = temp_name(folder)
    old: Path | None = None
    try:
        stage.mkdir()
        for name, data in files.items():
            write_file(stage / name, lambda temp, data=data: temp.write_bytes(data))
        if folder.exists():
            old = temp_name(folder)
            os.replace(folder, old)
        try:
            os.replace(stage, folder)
        except BaseException:
            if old is not None:
                os.replace(old, folder)
                old = None
            raise
    except OSError as exc:
        raise PackError(f"{exc.strerror or exc} writing {folder}; a previous pack there is kept") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- the workbook -------------------------------------------------------------------------------


def _workbook(facts: Sequence[tuple[str, object]], sheets: Sequence[tuple[str, pl.DataFrame]]) -> bytes:
    """ "about" with the facts, then a sheet per table: frozen header, filters, widths, times and money
    formatted. Built in memory and written in one go (as ``fraudkit.warn.export`` does)."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        formats = _formats(book)
        about = book.add_worksheet("about")
        about.set_column(0, 0, 32)
        about.set_column(1, 1, 60)
        for i, (key, value) in enumerate(facts):
            about.write_string(i, 0, key, formats["head"])
            _write_cell(about, i, 1, value, formats, "")
        for name, table in sheets:
            sheet = book.add_worksheet(name)
            for j, column in enumerate(table.columns):
                sheet.write_string(0, j, column.replace("_", " "), formats["head"])
                sheet.set_column(j, j, _width(column, table))
            for i, row in enumerate(table.iter_rows(), start=1):
                for j, value in enumerate(row):
                    _write_cell(sheet, i, j, value, formats, table.columns[j])
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(table.height, 1), max(len(table.columns) - 1, 0))
    return buffer.getvalue()


def _formats(book: Workbook) -> dict[str, Any]:
    """The workbook's cell formats, made once: xlsxwriter keeps every format added."""
    return {
        "head": book.add_format({"bold": True, "bg_color": "#34495E", "font_color": "#FFFFFF", "border": 1}),
        "text": book.add_format({"valign": "top"}),
        "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"}),
        "money": book.add_format({"num_format": "#,##0.00", "valign": "top"}),
        "int": book.add_format({"num_format": "0", "valign": "top"}),
    }


def _write_cell(sheet: Any, i: int, j: int, value: object, formats: dict[str, Any], column: str) -> None:
    """One cell by its value's type: times as times, amounts with two decimals, a flag as yes/no."""
    if value is None:
        sheet.write_blank(i, j, None, formats["text"])
    elif isinstance(value, datetime):
        sheet.write_datetime(i, j, value, formats["time"])
    elif isinstance(value, bool):
        sheet.write_string(i, j, "yes" if value else "no", formats["text"])
    elif isinstance(value, int):
        sheet.write_number(i, j, value, formats["int"])
    elif isinstance(value, float):
        sheet.write_number(i, j, value, formats["text"] if column in RATIOS else formats["money"])
    else:
        sheet.write_string(i, j, str(value), formats["text"])


def _width(column: str, table: pl.DataFrame) -> float:
    """Wide enough for the header and the longest value, at most 48 (long notes run on)."""
    dtype = table.schema[column]
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        return 20
    longest = table[column].cast(pl.String).str.len_chars().max() if table.height else 0
    return min(max(len(column) + 2, int(longest or 0) + 2, 8), 48)


# ---- the page -----------------------------------------------------------------------------------


def _page(
    case_file: CaseFile,
    show: bool,
    facts: Sequence[tuple[str, object]],
    sheets: Sequence[tuple[str, pl.DataFrame]],
) -> str:
    """``ring.html``: the summary, the case's history, the ring's money drawn at a few snapshots and
    over time, the timeline and the members; inline CSS and SVG only, so it opens offline."""
    tables = dict(sheets)
    parts = [
        f'<p class="note">Accounts, phones and holders are {"shown in full (revealed)" if show else "masked"}. '
        f"The transfers, victims, reports and exits are in {WORKBOOK}.</p>",
        html_table(["the ring and its export", ""], [(k, _cell(v)) for k, v in facts]),
    ]
    if "case" in tables:
        parts.append("<h2>Case history</h2>")
        parts.append(_html_frame(tables["case"]))
    parts.append("<h2>The ring's money, scan by scan</h2>")
    for run_id, as_of, size, money_in in _drawn(case_file.snapshots):
        parts.append(
            f"<p><strong>Scan as of {as_of:%Y-%m-%d %H:%M}</strong>: {size} members, "
            f"{money_in:,.2f} in over its window</p>"
        )
        parts.append(_snapshot_svg(case_file, run_id, show))
    parts.append("<h2>Money in and out of each member over the span</h2>")
    parts.append(_timeline(case_file, show))
    parts.append("<h2>Timeline</h2>")
    parts.append(
        _html_frame(
            tables["snapshots"].select(
                "as_of", "size", "money_in", "cash_out", "new_money_in", "victims", "score", "typology"
            )
        )
    )
    parts.append(_html_frame(tables["events"].select("as_of", "kind", "account", "other_ring", "detail")))
    parts.append("<h2>Members</h2>")
    parts.append(
        _html_frame(
            tables["members"].select(
                "account", "role", "first_seen", "last_seen", "member_now", "money_in", "money_out"
            )
        )
    )
    return page(f"Case file: ring {case_file.ring_id}", "".join(parts))


def _drawn(snapshots: pl.DataFrame) -> list[tuple[str, datetime, int, float]]:
    """The snapshots drawn: all when few, else the first, the last and evenly between."""
    rows = list(snapshots.select("run_id", "as_of", "size", "money_in").iter_rows())
    if len(rows) <= MAX_DRAWINGS:
        return rows
    step = (len(rows) - 1) / (MAX_DRAWINGS - 1)
    return [rows[round(k * step)] for k in range(MAX_DRAWINGS)]


def _label(case_file: CaseFile, pseudonym: str | None, label: str | None, show: bool) -> str:
    """An account on a drawing: its full number when revealed (and known), else its masked label."""
    if show and pseudonym is not None and pseudonym in case_file.full:
        return case_file.full[pseudonym]
    return label or ""


def _snapshot_svg(case_file: CaseFile, run_id: str, show: bool) -> str:
    """One snapshot's money as the scan's report draws it: payers left, members by role, exits right."""
    held = case_file.snapshot_members.filter(c("run_id") == run_id)
    nodes = {
        m["account"]: DrawNode(
            m["account"], _label(case_file, m["account"], m["label"], show), m["role"] or "layer", m["money_in"] or 0.0
        )
        for m in held.iter_rows(named=True)
    }
    flows = case_file.flows.filter(c("run_id") == run_id)
    outside = {"entry": ("src", "victim"), "exit": ("dst", "cash_point")}
    for f in flows.iter_rows(named=True):
        if f["flow"] in outside and f[outside[f["flow"]][0]] is not None:
            end, role = outside[f["flow"]]
            label = _label(case_file, f[end], f[f"{end}_label"], show)
            nodes.setdefault(f[end], DrawNode(f[end], label, role, f["amount"]))
    edges = [
        DrawEdge(f["src"], f["dst"], f["amount"], f"{f['amount']:,.2f}")
        for f in flows.iter_rows(named=True)
        if f["src"] in nodes and f["dst"] in nodes
    ]
    return flow_svg(list(nodes.values()), edges)


def _timeline(case_file: CaseFile, show: bool) -> str:
    """Every transfer of the span that moved money, a bar on the lane of the member it touched."""
    members = _shown(case_file.members.select("account", "role"), show)
    lanes = [
        TimelineLane(full, f"{shown} ({role or 'member'})", role or "layer")
        for full, (shown, role) in zip(case_file.members["account"].to_list(), members.iter_rows(), strict=True)
    ]
    ids = {lane.lane_id for lane in lanes}
    moves = []
    for _txn, ts, src, dst, amount, channel in (
        case_file.transfers.filter(c("moved"))
        .select("txn_id", "ts", "src_account", "dst_account", "amount", "channel")
        .iter_rows()
    ):
        if dst in ids:
            moves.append(TimelineEvent(dst, ts, amount, "in", f"in {amount:,.2f} at {ts:%Y-%m-%d %H:%M} ({channel})"))
        if src in ids:
            moves.append(TimelineEvent(src, ts, amount, "out", f"out {amount:,.2f} at {ts:%Y-%m-%d %H:%M} ({channel})"))
    return timeline_svg(lanes, moves)


def _html_frame(table: pl.DataFrame) -> str:
    return html_table(
        [name.replace("_", " ") for name in table.columns], [tuple(_cell(v) for v in row) for row in table.iter_rows()]
    )


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
