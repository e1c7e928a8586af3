"""The Parquet lake on Spark: what ingest writes is what the store holds, laid out by day, read back by
span, committed whole, added once; and `ingest` then `scan` on the lake give what they give on DuckDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from fraudkit import synth
from fraudkit.backend import TIME_COLUMNS, DuckDBBackend
from fraudkit.cli import app
from fraudkit.engine.lake import DAY, META, Lake
from fraudkit.engine.spark import SparkBackend, SparkSettings
from fraudkit.errors import ConfigError
from fraudkit.ingest import ingest_paths
from fraudkit.ingest.lake import LakeBehind, ingest_to_lake, sync_lake
from fraudkit.schema import TABLES
from fraudkit.store import connect, frame
from fraudkit.synth import SynthConfig, World, generate_world

pytestmark = list(ON_SPARK)

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(SynthConfig.preset("default", seed=5, subscribers=1_500))


@pytest.fixture(scope="module")
def store_and_lake(
    world: World, tmp_path_factory: pytest.TempPathFactory, spark_backend: SparkBackend
) -> tuple[duckdb.DuckDBPyConnection, SparkBackend]:
    """The world in a DuckDB store, and every table of that store (as the store reads it) written to a lake."""
    folder = tmp_path_factory.mktemp("lake")
    synth.store_world(world, folder / "store.duckdb")
    con = connect(folder / "store.duckdb")
    lake = SparkBackend(spark_backend.settings, lake=folder / "lake")
    store = DuckDBBackend(con=con)
    for name in TABLES:
        assert lake.write(name, store.read(name)) == store.read(name).height
    yield con, lake
    con.close()


def _by_key(table: str, rows: pl.DataFrame) -> pl.DataFrame:
    return rows.sort(list(TABLES[table].key))


@pytest.mark.parametrize("table", list(TABLES))
def test_the_round_trip_gives_the_stores_rows_values_and_types(store_and_lake, table: str) -> None:
    con, lake = store_and_lake
    held = DuckDBBackend(con=con).read(table)
    back = lake.read(table)
    assert back.schema == held.schema  # naive timestamps, DECIMAL(18,2), INTEGER as Int32
    assert_frame_equal(_by_key(table, back), _by_key(table, held), check_exact=True)
    if table != "outcomes":
        assert held.height > 0, "the world has rows to compare"


def test_event_tables_are_one_folder_per_day_holding_only_that_days_rows(store_and_lake) -> None:
    con, lake = store_and_lake
    root = Path(lake.lake().files.uri("").removeprefix("file://"))
    for table, column in TIME_COLUMNS.items():
        days = {p.name for p in (root / table).iterdir() if p.is_dir()}
        stored = DuckDBBackend(con=con).read(table, [column])[column].dt.date().unique()
        assert days == {f"{DAY}={d.isoformat()}" for d in stored}
        for part in (root / table).glob(f"{DAY}=*/*.parquet"):
            in_file = pl.read_parquet(part)[column].dt.date().unique().to_list()
            assert [d.isoformat() for d in in_file] == [part.parent.name.removeprefix(f"{DAY}=")]
    for table in set(TABLES) - set(TIME_COLUMNS) - {"outcomes"}:  # no time column: one dataset, no folders
        assert [p for p in (root / table).iterdir() if p.is_dir()] == []
        assert list((root / table).glob("*.parquet"))
    assert not any(root.glob(f"{META}/staging/*")), "every commit's staging folder is gone"


def test_a_span_read_opens_only_its_days_and_cuts_at_the_exact_times(store_and_lake) -> None:
    con, lake = store_and_lake
    times = DuckDBBackend(con=con).read("transactions", ["ts"])["ts"].sort()
    start, end = times[len(times) // 3], times[len(times) // 2]  # both are event times: start in, end out
    files = lake.lake().frame("transactions", start=start, end=end).inputFiles()
    days = {f.split(f"/{DAY}=")[1].split("/")[0] for f in files}
    wanted = {(start.date() + timedelta(days=i)).isoformat() for i in range((end.date() - start.date()).days + 1)}
    assert days == wanted and len(wanted) < len(lake.lake().days("transactions"))
    asked = ["txn_id", "ts", "amount"]
    held = DuckDBBackend(con=con).read("transactions", asked, start=start, end=end)
    back = lake.read("transactions", asked, start=start, end=end)
    assert back.columns == asked and back["ts"].min() == start and back["ts"].max() < end
    assert_frame_equal(back.sort("txn_id"), held.sort("txn_id"), check_exact=True)


def test_a_lake_without_the_table_or_the_days_gives_no_rows(tmp_path: Path, spark_backend: SparkBackend) -> None:
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "empty")
    assert lake.read("calls", ["call_id"]).schema == pl.Schema({"call_id": pl.String})
    assert lake.read("accounts").height == 0


def test_without_a_lake_read_and_write_say_how_to_name_one() -> None:
    backend = SparkBackend(SparkSettings())
    with pytest.raises(ConfigError, match="needs a lake") as error:
        backend.read("transactions")
    assert "--lake" in error.value.one_line()


def _rows(day: int, n: int, prefix: str = "T") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "txn_id": [f"{prefix}{i}" for i in range(n)],
            "ts": [datetime(2026, 3, day, 10, i) for i in range(n)],
            "src_account": ["A"] * n,
            "dst_account": ["B"] * n,
            "amount": [10.5] * n,
            "channel": ["mobile"] * n,
        }
    )


def test_a_crash_after_the_commit_point_is_finished_by_the_next_reader(
    tmp_path: Path, spark_backend: SparkBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    assert lake.write("transactions", _rows(1, 3)) == 3
    real_apply = Lake._apply

    def crash(self: Lake, commit) -> None:
        raise KeyboardInterrupt  # the process dies between the journal and the moves

    monkeypatch.setattr(Lake, "_apply", crash)
    with pytest.raises(KeyboardInterrupt):
        lake.write("transactions", _rows(2, 2, prefix="U"))
    days = sorted(p.name for p in (tmp_path / "lake" / "transactions").iterdir())
    assert days == [f"{DAY}=2026-03-01"], "no file of the interrupted commit is in the table yet"
    monkeypatch.setattr(Lake, "_apply", real_apply)
    back = lake.read("transactions", ["txn_id"])  # the reader finishes the commit first
    assert sorted(back["txn_id"]) == ["T0", "T1", "T2", "U0", "U1"]
    assert not any((tmp_path / "lake" / META / "commits").glob("*.json"))


def test_a_write_that_dies_before_its_commit_point_leaves_the_lake_as_it_was(
    tmp_path: Path, spark_backend: SparkBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    lake.write("transactions", _rows(1, 3))

    def crash(self, relative: str, text: str) -> None:
        raise KeyboardInterrupt  # Spark wrote the staged files; the journal never got written

    from fraudkit.engine.lake import LakeFiles

    real_write = LakeFiles.write_new
    monkeypatch.setattr(LakeFiles, "write_new", crash)
    with pytest.raises(KeyboardInterrupt):
        lake.write("transactions", _rows(2, 2, prefix="U"))
    assert any((tmp_path / "lake" / META / "staging").iterdir()), "the staged files are there"
    assert sorted(lake.read("transactions", ["txn_id"])["txn_id"]) == ["T0", "T1", "T2"]
    monkeypatch.setattr(LakeFiles, "write_new", real_write)
    lake.write("transactions", _rows(3, 1, prefix="V"))  # the next writer clears the dead staging folder
    assert [p.name for p in (tmp_path / "lake" / META / "staging").iterdir()] == []
    assert sorted(lake.read("transactions", ["txn_id"])["txn_id"]) == ["T0", "T1", "T2", "V0"]


HEADER = "txn_id,ts,src_account,dst_account,amount,currency,channel,status"


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_ingest_sends_good_rows_to_the_lake_rejects_to_the_catalogue_and_adds_a_file_once(
    tmp_path: Path, spark_backend: SparkBackend
) -> None:
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    con = connect(tmp_path / "catalogue.duckdb")
    first = _csv(
        tmp_path / "a.csv",
        [
            "T1,2026-03-01 10:00:00,6222000011112222,6228000033334444,5000.00,CNY,mobile,success",
            "T2,2026-03-02 10:05:00,6228000033334444,6217000055556666,4990.50,,online,",
            "T3,2026-03-02 11:00:00,6228000033334444,6217000055556666,-3,,online,",  # a negative amount
        ],
    )
    done = ingest_to_lake(con, lake, first, "transactions")
    assert (done.summary.loaded, done.summary.rejected, done.lake_rows) == (2, 1, 2)
    assert frame(con, "SELECT line FROM rejects")["line"].to_list() == [4]
    assert sorted(lake.read("transactions", ["txn_id"])["txn_id"]) == ["T1", "T2"]
    again = ingest_to_lake(con, lake, first, "transactions")
    assert (again.summary.skipped, again.lake_rows) == (1, 0)
    second = _csv(
        tmp_path / "b.csv",
        [
            "T2,2026-03-02 10:05:00,6228000033334444,6217000055556666,4990.50,,online,",  # a duplicate
            "T4,2026-03-03 09:00:00,6228000033334444,6217000055556666,10.00,,online,",
        ],
    )
    assert ingest_to_lake(con, lake, second, "transactions").lake_rows == 1
    assert_frame_equal(
        lake.read("transactions").sort("txn_id"), DuckDBBackend(con=con).read("transactions").sort("txn_id")
    )
    con.close()


def test_an_update_replaces_the_lakes_row_as_in_the_store(tmp_path: Path, spark_backend: SparkBackend) -> None:
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "my lake")  # a space: files found by their URIs
    con = connect(tmp_path / "catalogue.duckdb")
    ingest_to_lake(
        con,
        lake,
        _csv(
            tmp_path / "a.csv",
            [
                "T1,2026-03-01 10:00:00,A1,B1,10.00,CNY,mobile,success",
                "T2,2026-03-02 10:00:00,A1,B1,20.00,CNY,mobile,success",
            ],
        ),
        "transactions",
    )
    mapping = tmp_path / "corrections.toml"
    mapping.write_text('on_conflict = "update"\n', encoding="utf-8")
    fix = _csv(tmp_path / "fix.csv", ["T2,2026-03-05 10:00:00,A1,B1,20.00,CNY,mobile,reversed"])  # another day too
    done = ingest_to_lake(con, lake, fix, "transactions", mapping)
    assert done.summary.updates == 1
    back = lake.read("transactions").sort("txn_id")
    assert back["status"].to_list() == ["success", "reversed"]
    assert_frame_equal(back, DuckDBBackend(con=con).read("transactions").sort("txn_id"))
    assert lake.lake().days("transactions")[-1].isoformat() == "2026-03-05"
    con.close()


def _scan_tables(db: Path) -> dict[str, pl.DataFrame]:
    con = connect(db)
    try:
        return {t: frame(con, f"SELECT * FROM {t} ORDER BY ALL") for t in ("scan_clusters", "scan_members")}
    finally:
        con.close()


def test_ingest_then_scan_on_the_lake_write_what_they_write_on_duckdb(
    tmp_path: Path, world: World, spark_backend: SparkBackend
) -> None:
    """The catalogue store is a DuckDB ingest of the same files (the same pipeline), so scanning it on
    DuckDB is the DuckDB path on the same world; the scan on the lake then runs with the catalogue's copy
    of the rows deleted, so it can only have read the lake."""
    files = synth.write_world(world, tmp_path / "world", "parquet")
    db, lake = str(tmp_path / "catalogue.duckdb"), str(tmp_path / "lake")
    on_lake = ["--engine", "spark", "--lake", lake]
    for name in TABLES:
        if name in files:
            done = runner.invoke(app, ["ingest", str(files[name]), "--kind", name, "--db", db, *on_lake])
            assert done.exit_code == 0, done.output
            assert "to the lake" in done.output
    assert sorted(p.name for p in Path(lake).iterdir() if not p.name.startswith("_")) == sorted(
        n for n in TABLES if n in files
    )
    out, tables = {}, {}
    for engine, options in (("duckdb", ["--engine", "duckdb"]), ("spark", on_lake)):
        if engine == "spark":  # the catalogue's own copy of the rows goes: the scan can only read the lake
            con = connect(db)
            for name in TABLES:
                con.execute(f"DELETE FROM {name}")
            con.close()
        out[engine] = tmp_path / f"out-{engine}"
        done = runner.invoke(app, ["scan", "--db", db, "--out", str(out[engine]), *options])
        assert done.exit_code == 0, done.output
        tables[engine] = _scan_tables(Path(db))
        done = runner.invoke(app, ["features", "--db", db, "--out", str(out[engine] / "features"), *options])
        assert done.exit_code == 0, done.output
    for table, rows in tables["duckdb"].items():
        assert rows.height > 0
        assert_frame_equal(tables["spark"][table], rows)
    written = sorted(str(p.relative_to(out["duckdb"])) for p in out["duckdb"].rglob("*"))
    assert written == sorted(str(p.relative_to(out["spark"])) for p in out["spark"].rglob("*"))
    assert len([n for n in written if n.startswith("features/") and n.endswith(".parquet")]) == 2
    for name in written:
        if name.endswith(".parquet"):
            assert_frame_equal(pl.read_parquet(out["spark"] / name), pl.read_parquet(out["duckdb"] / name))


def test_a_lake_on_duckdb_or_a_lake_that_is_a_file_is_refused_before_anything_is_loaded(
    tmp_path: Path, spark_backend: SparkBackend
) -> None:
    data = _csv(tmp_path / "a.csv", ["T1,2026-03-01 10:00:00,A1,B1,10.00,CNY,mobile,success"])
    db = str(tmp_path / "s.duckdb")
    done = runner.invoke(app, ["ingest", str(data), "--kind", "transactions", "--db", db, "--lake", str(tmp_path)])
    assert done.exit_code == 2 and "--engine spark" in done.output and "Traceback" not in done.output
    (tmp_path / "lake").write_text("not a folder", encoding="utf-8")
    on_file = ["--engine", "spark", "--lake", str(tmp_path / "lake")]
    done = runner.invoke(app, ["ingest", str(data), "--kind", "transactions", "--db", db, *on_file])
    assert done.exit_code == 2 and "is a file, not a folder" in done.output, done.output
    assert not Path(db).exists(), "nothing was loaded: the store was never made"


def test_a_run_interrupted_before_the_lake_committed_is_caught_up_by_the_next(
    tmp_path: Path, spark_backend: SparkBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    con = connect(tmp_path / "catalogue.duckdb")
    data = _csv(tmp_path / "a.csv", ["T1,2026-03-01 10:00:00,A1,B1,10.00,CNY,mobile,success"])

    def interrupted(*args, **kwargs) -> int:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(SparkBackend, "write", interrupted)
        with pytest.raises(LakeBehind, match="run the same ingest again"):
            ingest_to_lake(con, lake, data, "transactions")
    assert lake.read("transactions").height == 0 and DuckDBBackend(con=con).read("transactions").height == 1
    again = ingest_to_lake(con, lake, data, "transactions")
    assert (again.summary.skipped, again.lake_rows, again.lake_files) == (1, 1, 1)
    assert ingest_to_lake(con, lake, data, "transactions").lake_rows == 0
    con.close()


def test_a_key_hash_two_files_recorded_is_decided_by_the_key_in_the_lake(
    tmp_path: Path, spark_backend: SparkBackend
) -> None:
    """A 64-bit key hash can collide: a row whose hash an older file recorded too goes to the lake only
    when the lake does not hold its key."""
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    con = connect(tmp_path / "catalogue.duckdb")
    ingest_to_lake(
        con, lake, _csv(tmp_path / "a.csv", ["T1,2026-03-01 10:00:00,A1,B1,10.00,CNY,mobile,"]), "transactions"
    )
    ingest_paths(con, _csv(tmp_path / "b.csv", ["T2,2026-03-02 10:00:00,A1,B1,20.00,CNY,mobile,"]), "transactions")
    # as if T1's hash were one of b's keys too (an old row it would pick up), and T2's one of a's
    con.execute("INSERT INTO ingest_keys SELECT 2, hash('T1'), 9 UNION ALL SELECT 1, hash('T2'), 9")
    assert sync_lake(con, lake, "transactions") == (1, 1)
    assert sorted(lake.read("transactions", ["txn_id"])["txn_id"]) == ["T1", "T2"]
    con.close()
