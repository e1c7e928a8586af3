"""The DuckDB store: one file holds the canonical tables and every stage's outputs.

All engine-specific access goes through here, so a second backend (Spark) has one
place to differ; the query texts are in :mod:`fraudkit.engine.sql.store`. SQL is never
built by pasting user text: identifiers are quoted with :func:`quote_ident` and values
are bound as parameters.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fraudkit.engine.sql import exposure as exposure_sql
from fraudkit.engine.sql import quote_ident as quote_ident  # re-exported: stages import it from here
from fraudkit.engine.sql import schema as schema_sql
from fraudkit.engine.sql import store as sql
from fraudkit.errors import ConfigError, NotReadyError, StoreError
from fraudkit.exposure import Reveal, mask_text, revealed
from fraudkit.schema import TABLES
from fraudkit.settings import check_lock_wait, check_timezone, default_timezone, lock_wait_from_env

DEFAULT_DB = Path("fraudkit.duckdb")
DUCKDB_MAGIC = (8, b"DUCK")  # offset and bytes of the magic in a DuckDB file's first block header
_FILE_KINDS = ((b"PAR1", "a Parquet file"), (b"SQLite format 3", "an SQLite database"), (b"PK", "a ZIP/XLSX file"))
_LOCK_TEXT = "Could not set lock"
_PID = re.compile(r"\(PID (\d+)\)")


def check_store_file(path: Path) -> None:
    """Refuse an existing file that is not a DuckDB database: DuckDB would open a CSV or Parquet
    file as an in-memory database over it, and everything written would be lost on exit."""
    if not path.exists():
        return
    if path.is_dir():
        raise ConfigError(f"--db {path} is a folder, not a DuckDB file", hint="pass --db FOLDER/fraudkit.duckdb")
    with path.open("rb") as fh:
        head = fh.read(16)
    offset, magic = DUCKDB_MAGIC
    if head[offset : offset + len(magic)] == magic:
        return
    kind = next((name for sig, name in _FILE_KINDS if head.startswith(sig)), "a file of another kind")
    if not head:
        kind = "empty"
    elif kind == "a file of another kind" and _is_text(head):
        kind = "a text file (CSV?)"
    raise ConfigError(
        f"--db {path} is {kind}, not a DuckDB store",
        hint="--db names the store (e.g. fraudkit.duckdb); give data files to `fraudkit ingest` as arguments",
    )


MISSING_STORE_HINT = (
    "point --db (or FRAUDKIT_DB) at a store, e.g. --db demo/fraudkit.duckdb; "
    "`fraudkit ingest` or `fraudkit demo` makes one"
)


def require_store(path: str | Path) -> Path:
    """Refuse a store file that does not exist: a command that reads the store must never make
    an empty one (a typo'd --db would otherwise answer "0 clusters" and exit 0)."""
    path = Path(path)
    check_store_file(path)
    if not path.exists():
        raise NotReadyError(f"no database at {path}", hint=MISSING_STORE_HINT)
    return path


def _is_text(head: bytes) -> bool:
    """No control bytes but tab, CR and LF: UTF-8, GBK and ASCII text alike."""
    return all(b >= 32 or b in (9, 10, 13) for b in head)


DEFAULT_DUCKDB_MEMORY = "1GB"
"""DuckDB's memory cap (its own default is 80% of the machine): at 1M subscribers the cached blocks
of a 30-day read alone held a further 0.65 GiB beside the Polars frames built from them."""
MEMORY_SIZE = re.compile(r"(?i)^\s*(\d+(\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$")
DUCKDB_MEMORY: ContextVar[str | None] = ContextVar("fraudkit_duckdb_memory", default=None)
"""The running command's [store] duckdb_memory (set where the command starts); unset: the default."""


def check_memory_size(text: str, *, option: str = "[store] duckdb_memory") -> str:
    """A DuckDB memory size such as '1GB' or '512 MiB', as DuckDB reads it."""
    found = MEMORY_SIZE.match(text)
    if found is None or float(found.group(1)) <= 0:
        raise ConfigError(
            f"{option} {text!r} is not a memory size", hint="write a number and a unit, e.g. 1GB or 512MB"
        )
    return f"{found.group(1)}{found.group(3).upper()}"


def duckdb_memory() -> str:
    """The memory cap of the stores this process opens: the command's setting, else
    $FRAUDKIT_DUCKDB_MEMORY, else ``DEFAULT_DUCKDB_MEMORY``."""
    chosen = DUCKDB_MEMORY.get() or os.environ.get("FRAUDKIT_DUCKDB_MEMORY", "").strip() or DEFAULT_DUCKDB_MEMORY
    return check_memory_size(chosen)


def release_cached_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """Let DuckDB drop the table blocks it kept from a read whose rows now live in Polars frames, by
    lowering its cap for a moment: they would not be read again, and at 1M subscribers they held
    0.8 GiB beside the feature frames. Best effort: blocks in use stay, and so does the cap."""
    try:
        con.execute(sql.set_memory_limit(RELEASE_TO))
    except duckdb.Error:  # pragma: no cover - DuckDB keeps what it cannot drop; nothing is lost
        pass
    finally:
        con.execute(sql.set_memory_limit(duckdb_memory()))


RELEASE_TO = "16MB"
"""The cap ``release_cached_blocks`` lowers DuckDB's to for a moment."""


def connect(
    path: str | Path = DEFAULT_DB,
    *,
    read_only: bool = False,
    threads: int | None = None,
    timezone: str | None = None,
    lock_wait: float | None = None,
    create: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open the store (creating it when ``create``), make sure the canonical tables exist, and set
    the session's TimeZone to the store's zone.

    This is the low-level primitive that library code and tests building a store use, so it creates
    by default; commands go through :func:`open_store`, which creates only when asked to.
    A missing store is refused when ``read_only`` or not ``create``.

    A store held by another process is waited for up to ``lock_wait`` seconds ($FRAUDKIT_LOCK_WAIT,
    default 30), then refused naming the holder. ``timezone`` is recorded when the store is
    created (default: :func:`fraudkit.settings.default_timezone`) and may not change afterwards.
    """
    path = Path(path)
    check_store_file(path)
    if timezone is not None:
        timezone = check_timezone(timezone, option="--timezone")
    if read_only or not create:
        require_store(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    wait = lock_wait_from_env() if lock_wait is None else check_lock_wait(lock_wait)
    con = _open_waiting(path, read_only=read_only, wait=wait)
    try:
        if threads:
            con.execute(sql.set_threads(threads))
        con.execute(sql.set_memory_limit(duckdb_memory()))
        if not read_only:
            ensure_schema(con)
        elif not table_exists(con, "calls"):
            raise NotReadyError(
                f"{path} is a DuckDB file without fraudkit's tables", hint="load data with `fraudkit ingest` first"
            )
        zone = _store_zone(con, path, timezone, record=not read_only)
        con.execute(sql.SET_TIMEZONE, [zone])
    except BaseException:
        con.close()
        raise
    return con


def _open_waiting(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, polling while another process holds the file's lock, for ``wait`` seconds."""
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:  # locked by another process, not a DuckDB file, ...
            text = str(exc)
            if _LOCK_TEXT not in text:
                raise StoreError(f"cannot open {path}: {text.splitlines()[0]}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(_lock_message(path, text, wait)) from None
            time.sleep(min(delay, left))
            delay = min(delay * 2, 1.0)


def store_timezone(con: duckdb.DuckDBPyConnection) -> str:
    """The zone the store keeps its times in (recorded at creation; older stores: the default zone)."""
    if table_exists(con, "store_settings"):
        value = scalar(con, sql.STORE_TIMEZONE)
        if value:
            return str(value)
    return default_timezone()


def _store_zone(con: duckdb.DuckDBPyConnection, path: Path, asked: str | None, *, record: bool) -> str:
    """The store's zone, recording ``asked`` (or the default) in a store that has none yet."""
    recorded = None
    if table_exists(con, "store_settings"):
        recorded = scalar(con, sql.STORE_TIMEZONE)
    if recorded is None:
        zone = asked or default_timezone()
        if record:
            con.execute(sql.RECORD_TIMEZONE, [zone])
        return zone
    if asked is not None and asked != recorded:
        raise ConfigError(
            f"store {path} keeps its times in {recorded}, not {asked}",
            hint="a store's time zone is fixed when it is created: leave out --timezone, or use a new --db",
        )
    return str(recorded)


# Who holds the store: a sidecar <db>.owner written while a command has it open, read when
# another command finds the store locked.


def owner_path(path: str | Path) -> Path:
    """The sidecar naming the process that has the store open."""
    path = Path(path)
    return path.with_name(path.name + ".owner")


def command_label(argv: list[str] | None = None) -> str:
    """'fraudkit train' or 'python -m pipelines.daily': the program and its command word, never
    the arguments (they may hold account numbers)."""
    click = sys.modules.get("click")
    ctx = click.get_current_context(silent=True) if click and argv is None else None
    if ctx is not None:
        return ctx.command_path
    args = list(sys.argv if argv is None else argv)
    if not args:
        return "?"
    words = [os.path.basename(args[0])]
    rest = args[1:]
    if rest[:1] == ["-m"] and len(rest) > 1:
        words += ["-m", rest[1]]
    elif rest and re.fullmatch(r"[a-z][a-z_-]*", rest[0]):
        words.append(rest[0])
    return " ".join(words)


def _write_owner(path: Path, *, read_only: bool) -> Path | None:
    """Record this process as the store's holder (best effort: a read-only folder just has none)."""
    sidecar = owner_path(path)
    info = {
        "pid": os.getpid(),
        "command": command_label(),
        "started": datetime.now().isoformat(timespec="seconds"),
        "mode": "read-only" if read_only else "write",
    }
    tmp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, sidecar)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    return sidecar


def _remove_owner(sidecar: Path | None) -> None:
    """Remove the sidecar if it still names this process."""
    if sidecar is None:
        return
    info = _read_owner(sidecar)
    if info and info.get("pid") == os.getpid():
        sidecar.unlink(missing_ok=True)


def _read_owner(sidecar: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _proc_started(pid: int) -> datetime | None:
    """When a process started, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        return datetime.fromtimestamp(boot + int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _proc_command(pid: int) -> str | None:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return None
    return command_label([a for a in argv if a]) if any(argv) else None


def describe_holder(path: Path, engine_text: str) -> str:
    """'`fraudkit train` (PID 4242, read-only) for 2 min 5 s': from the sidecar when it names the PID
    DuckDB reports, else from /proc."""
    found = _PID.search(engine_text)
    pid = int(found.group(1)) if found else None
    info = _read_owner(owner_path(path)) or {}
    if pid is None or info.get("pid") != pid:
        info = {"pid": pid, "command": _proc_command(pid) if pid else None}
        started = _proc_started(pid) if pid else None
    else:
        try:
            started = datetime.fromisoformat(str(info.get("started")))
        except ValueError:
            started = None
    who = f"`{info['command']}`" if info.get("command") else "another process"
    extra = ", ".join(str(x) for x in (f"PID {pid}" if pid else None, info.get("mode")) if x)
    text = f"{who} ({extra})" if extra else who
    if started is not None:
        text += f" since {started:%Y-%m-%d %H:%M:%S} ({_span(datetime.now() - started)})"
    return text


def _span(delta: Any) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _lock_message(path: Path, engine_text: str, waited: float) -> str:
    return (
        f"store {path} is held by {describe_holder(path, engine_text)}; waited {waited:g} s for it "
        "(try again when it finishes, or wait longer with --lock-wait / FRAUDKIT_LOCK_WAIT)"
    )


@contextmanager
def open_store(
    path: str | Path = DEFAULT_DB,
    *,
    read_only: bool = False,
    timezone: str | None = None,
    lock_wait: float | None = None,
    create: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect` that always closes the connection, and names this
    process in ``<db>.owner`` while it is open (so a command that finds the store locked can say who).

    A missing store is refused unless ``create``: only what loads data (ingest, the demo, the daily
    pipeline, a watch over a drop) makes a store; every reader refuses a wrong --db instead."""
    con = connect(path, read_only=read_only, timezone=timezone, lock_wait=lock_wait, create=create)
    sidecar = _write_owner(Path(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()
        _remove_owner(sidecar)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical, rejects and bookkeeping tables when missing."""
    for table in TABLES.values():
        con.execute(table.ddl())
    con.execute(schema_sql.REJECTS_DDL)
    con.execute(schema_sql.INGEST_LOG_DDL)
    con.execute(exposure_sql.AUDIT_DDL)
    con.execute(sql.STORE_SETTINGS_DDL)


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> Any:
    """First value of a query's only row. DuckDB 2.0 blocks a connection whose result is not
    fetched to the end, so never use ``fetchone()`` on a shared connection: fetch all."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


def frame(
    con: duckdb.DuckDBPyConnection, query: str, params: list | dict | None = None, *, table: str | None = None
) -> pl.DataFrame:
    """A query's result as a Polars frame, through Arrow without a DB-API copy; engine errors are
    wrapped as :func:`run` wraps them (the result streams, so they may come while it is fetched)."""
    with engine_errors(query, table=table):
        return con.sql(query, params=params).pl() if params else con.sql(query).pl()


def categorised_frame(
    con: duckdb.DuckDBPyConnection,
    query: str,
    params: list | dict | None,
    categories: tuple[str, ...],
    *,
    table: str | None = None,
) -> pl.DataFrame:
    """:func:`frame` with the ``categories`` columns as Polars categories, through a scratch Parquet
    file that Polars reads in pieces: at 1M subscribers the 30 days of calls took 1.55 GiB through
    Arrow and 0.71 GiB this way (the whole text columns never exist at once). The file holds the
    rows in full, so it is made in DuckDB's own spill folder beside the store (where its spilled rows
    go too), else the system's temporary folder, and removed."""
    with _scratch_folder(con) as scratch:
        path = Path(scratch) / "frame.parquet"
        with engine_errors(query, table=table):
            relation = con.sql(query, params=params) if params else con.sql(query)
            relation.write_parquet(str(path), compression="lz4")
        wanted = pl.scan_parquet(path)
        present = [name for name in categories if name in wanted.collect_schema()]
        return wanted.with_columns(pl.col(present).cast(pl.Categorical())).collect()


@contextmanager
def _scratch_folder(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """A fresh folder inside DuckDB's spill folder of a store file (made for the while, and removed
    again when it was not there), else inside the system's temporary folder; removed afterwards."""
    spill = scalar(con, sql.TEMP_DIRECTORY)
    parent = Path(spill) if spill and os.path.isabs(spill) else None
    made = False
    if parent is not None and not parent.exists():
        try:
            parent.mkdir(parents=True)
            made = True
        except OSError:
            parent = None
    if parent is not None and not os.access(parent, os.W_OK):
        parent = None
    try:
        with tempfile.TemporaryDirectory(prefix="fraudkit-frame-", dir=parent) as scratch:
            yield scratch
    finally:
        if made:
            with contextlib.suppress(OSError):
                parent.rmdir()  # type: ignore[union-attr]  # only when empty: DuckDB may be spilling there


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con, sql.TABLE_EXISTS, [name]))


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    if not table_exists(con, table):
        return 0
    return int(scalar(con, sql.row_count(table)) or 0)


@contextmanager
def engine_errors(query: str, *, table: str | None = None) -> Iterator[None]:
    """Turn an engine error inside the block into a :class:`StoreError` naming the logical table,
    with the engine's first line as the message and the query kept on the error: the one place
    where DuckDB's errors become fraudkit's."""
    try:
        yield
    except duckdb.Error as exc:
        raise StoreError(str(exc).splitlines()[0], table=table, query=query) from exc


def run(
    con: duckdb.DuckDBPyConnection, query: str, params: list | dict | None = None, *, table: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute a query, wrapping engine errors with the logical table's name and the query.

    ``execute`` computes the whole result before it returns, so fetching it afterwards
    (``fetchall``, ``fetchnumpy``) raises no engine error of the query's own."""
    with engine_errors(query, table=table):
        return con.execute(query, params or [])


Data = duckdb.DuckDBPyRelation | pl.DataFrame
"""What a stage may be handed for a query to read: a relation on the same connection, or a frame."""


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, data: Data, prefix: str = "fk") -> Iterator[str]:
    """``data`` as a view on the connection under a fresh name (returned) for the block's queries,
    unregistered afterwards: nothing is left behind, and two callers never share a name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)


@contextmanager
def materialised(
    con: duckdb.DuckDBPyConnection, data: Data, prefix: str = "fk", *, table: str | None = None
) -> Iterator[duckdb.DuckDBPyRelation]:
    """``data`` computed once into a temporary table for the block, which reads it as a relation
    (as often as it likes, without computing it again); the table is dropped when the block ends.
    ``table`` names the logical table an engine error is reported against, as in :func:`run`."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with registered(con, data, prefix) as source:
        run(con, sql.materialise(name, source), table=table)
    try:
        yield con.table(name)
    finally:
        con.execute(sql.drop_temp(name))


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in every table of the store, canonical tables first."""
    names = [r[0] for r in con.execute(sql.TABLE_NAMES).fetchall()]
    ordered = [n for n in TABLES if n in names] + [n for n in names if n not in TABLES]
    return {n: row_count(con, n) for n in ordered}


def list_rejects(
    con: duckdb.DuckDBPyConnection, *, kind: str | None = None, limit: int = 20, reveal: Reveal | None = None
) -> list[dict]:
    """The most recent rejected rows, optionally of one kind; the raw line and the reason (which
    may quote a value) masked unless revealed (a grant of ``exposure.reveal``, audited first)."""
    params = [kind] if kind else []
    cur = con.execute(sql.rejects(of_kind=bool(kind)), [*params, limit])
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    if not revealed(reveal):
        for row in rows:
            row["raw"], row["reason"] = mask_text(row["raw"]), mask_text(row["reason"])
    return rows
