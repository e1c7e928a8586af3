"""gzip-compressed CSV is read as the CSV it holds: same checks, same rejects with the lines of the
text inside, identity of the file as given, and a bad archive stops the run naming the file."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, count, rejects, write
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import InputFileError
from fraudkit.ingest import IngestSettings, ingest_paths
from fraudkit.ingest import pipeline as ingest_pipeline
from fraudkit.synth import SynthConfig, generate_world, write_world

runner = CliRunner(env={"COLUMNS": "200"})

DIRTY = [
    HEADERS["transactions"],
    *GOOD_ROWS["transactions"],
    "",  # a blank line: the line numbers after it must still be right
    "T3,2024-03-01 10:06:00,6222000011112222,6228000033334444,-5,CNY,mobile,success",
    'T4,2024-03-01 10:07:00,6222000011112222,"6228000033334444,7.00,CNY,mobile,success',
    "T5,2024-03-01 10:08:00,6222000011112222,6228000033334444,8.00,CNY,mobile,success",
]


def gzipped(path: Path, lines: list[str], *, encoding: str = "utf-8") -> Path:
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(encoding)))
    return path


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM transactions ORDER BY txn_id").fetchall()


def test_cli_ingests_a_gzipped_csv_like_the_plain_one(tmp_path: Path) -> None:
    archive = gzipped(tmp_path / "transactions.csv.gz", DIRTY)
    plain = write(tmp_path / "transactions.csv", DIRTY)
    gz_db, plain_db = str(tmp_path / "gz.duckdb"), str(tmp_path / "plain.duckdb")
    result = runner.invoke(app, ["ingest", str(archive), "--kind", "transactions", "--db", gz_db])
    assert result.exit_code == 0, result.output
    assert "2 rows rejected" in result.output
    assert runner.invoke(app, ["ingest", str(plain), "--kind", "transactions", "--db", plain_db]).exit_code == 0

    with duckdb.connect(gz_db, read_only=True) as gz, duckdb.connect(plain_db, read_only=True) as ref:
        assert stored(gz) == stored(ref)
        assert [r[:3] for r in rejects(gz)] == [r[:3] for r in rejects(ref)]
        assert [r[0] for r in rejects(gz)] == [5, 6]  # lines of the decompressed text, blank line counted
        files = {r[0] for r in gz.execute("SELECT source_file FROM rejects").fetchall()}
        assert files == {str(archive.resolve())}
        (sha,) = gz.execute("SELECT file_sha256 FROM ingest_log").fetchall()[0]
    assert sha == hashlib.sha256(archive.read_bytes()).hexdigest()  # the file as given, as sha256sum says

    again = runner.invoke(app, ["ingest", str(archive), "--kind", "transactions", "--db", gz_db])
    assert again.exit_code == 0, again.output
    assert "already ingested" in again.output


def test_large_gzipped_world_loads_through_duckdbs_reader(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file past the first chunk, read by DuckDB's reader from the decompressed copy: every row
    of a generated world arrives, exactly as from the plain file."""
    world = generate_world(SynthConfig.preset("default", seed=11, subscribers=1_500))
    paths = write_world(world, tmp_path / "world", fmt="csv")
    plain = paths["transactions"]
    archive = tmp_path / "transactions.csv.gz"
    archive.write_bytes(gzip.compress(plain.read_bytes()))
    monkeypatch.setattr(ingest_pipeline, "SMALL_FILE_BYTES", 0)  # not the line-by-line reader for small files
    settings = IngestSettings(chunk_bytes=64 << 10)
    summary = ingest_paths(con, archive, "transactions", settings=settings)
    rows = world.tables["transactions"].height
    assert (summary.rows_read, summary.loaded, summary.rejected) == (rows, rows, 0)
    ref = duckdb.connect()
    ingest_paths(ref, plain, "transactions", settings=settings)
    assert stored(con) == stored(ref)


def test_gzipped_gb18030_tsv_is_decompressed_then_transcoded(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = [HEADERS["transactions"].replace(",", "\t")]
    lines += [r.replace(",", "\t").replace("mobile", "手机银行") for r in GOOD_ROWS["transactions"]]
    archive = gzipped(tmp_path / "明细.tsv.gz", lines, encoding="gb18030")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[values.channel]\n"手机银行" = "mobile"\n', encoding="utf-8")
    summary = ingest_paths(con, archive, "transactions", mapping)
    assert (summary.loaded, summary.rejected) == (2, 0)
    assert summary.files[0].encoding == "gb18030"
    channels = con.execute("SELECT channel FROM transactions ORDER BY txn_id").fetchall()
    assert channels == [("mobile",), ("online",)]


def test_folders_take_gzipped_csv(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    gzipped(folder / "a.csv.gz", [HEADERS["transactions"], GOOD_ROWS["transactions"][0]])
    write(folder / "b.csv", [HEADERS["transactions"], GOOD_ROWS["transactions"][1]])
    (folder / "notes.gz").write_bytes(gzip.compress(b"not data"))  # not named like a CSV: left alone
    summary = ingest_paths(con, folder, "transactions")
    assert sorted(f.path.name for f in summary.files) == ["a.csv.gz", "b.csv"]
    assert count(con, "transactions") == 2


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_cli_refuses_a_damaged_archive_in_one_line_and_loads_nothing(tmp_path: Path, damage: str) -> None:
    good = write(tmp_path / "good.csv", [HEADERS["transactions"], *GOOD_ROWS["transactions"]])
    data = gzip.compress(("\n".join(DIRTY) + "\n").encode(), mtime=0)
    if damage == "truncated":
        data = data[:-10]
    else:
        broken = bytearray(data)
        broken[len(broken) // 2] ^= 0xFF
        data = bytes(broken)
    archive = tmp_path / "bad.csv.gz"
    archive.write_bytes(data)
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["ingest", str(good), str(archive), "--kind", "transactions", "--db", db])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "bad.csv.gz" in errors[0] and "gzip file" in errors[0]
    assert "Traceback" not in result.output
    with duckdb.connect(db, read_only=True) as con:
        assert count(con, "transactions") == 0  # not even the good file: the run is all or nothing


def test_damage_past_the_first_chunk_is_found_before_commit(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The header and first chunk decompress fine; the fingerprint pass meets the damage."""
    rows = [HEADERS["transactions"]] + [
        f"T{i},2024-03-01 10:00:00,6222000011112222,622800003333{i:04d},{i}.00,CNY,mobile,success"
        for i in range(1, 3000)
    ]
    data = gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0)
    archive = tmp_path / "t.csv.gz"
    archive.write_bytes(data[: len(data) - 200])
    with pytest.raises(InputFileError, match=r"t\.csv\.gz: truncated gzip file"):
        ingest_paths(con, archive, "transactions", settings=IngestSettings(chunk_bytes=4096))
    assert count(con, "transactions") == 0


def test_gzipped_parquet_is_refused_with_what_to_do(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    archive = tmp_path / "t.parquet.gz"
    archive.write_bytes(gzip.compress(b"PAR1" + b"\0" * 64))
    with pytest.raises(InputFileError, match="gzip-compressed Parquet") as err:
        ingest_paths(con, archive, "transactions")
    assert "gunzip" in (err.value.hint or "")


@pytest.mark.parametrize("bad_line", [3, 400])  # in the first chunk (seen when peeking) and past it
def test_bad_utf8_inside_an_archive_names_the_line_of_the_text(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, bad_line: int
) -> None:
    rows = [
        f"T{i},2024-03-01 10:00:00,6222000011112222,622800003333{i:04d},{i}.00,CNY,mobile,success".encode()
        for i in range(1, 500)
    ]
    rows[bad_line - 2] = rows[bad_line - 2].replace(b"mobile", b"mob\xffile")
    archive = tmp_path / "t.csv.gz"
    archive.write_bytes(gzip.compress(b"\n".join([HEADERS["transactions"].encode(), *rows]) + b"\n", mtime=0))
    settings = IngestSettings(chunk_bytes=4096)
    with pytest.raises(InputFileError, match=rf"t\.csv\.gz:{bad_line}: not valid UTF-8 text"):
        ingest_paths(con, archive, "transactions", encoding="utf-8", settings=settings)
